// One QEMU microVM and the connection to its guest agent: boot or restore, mount, exec, signal, network off, destroy.
// Knows nothing of jobs.
import type { ChildProcessByStdio } from "node:child_process";
import { spawn } from "node:child_process";
import { randomBytes, randomInt } from "node:crypto";
import { existsSync } from "node:fs";
import { access, constants, mkdir } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { RunnerError } from "../../runner-error.js";
import { portableNodeDir } from "../../portable-node.js";
import {
  agentProtocolVersion,
  decodeExit,
  decodeHello,
  decodeReply,
  decodeStdinAck,
  encodeExec,
  encodeFrame,
  encodeMount,
  encodeSeed,
  encodeSignal,
  FrameReader,
  frameTypes,
  maxStdinChunk,
  type AgentExit,
  type AgentHello,
  type AgentReply,
  type Frame,
} from "./agent-protocol.js";
import type { GuestImage } from "./guest-image.js";

export type Accelerator = "kvm" | "tcg";

export interface GuestVmOptions {
  image: GuestImage;
  /** Holds the VM's sockets and its share; the share is mounted in the guest at the same absolute path. */
  vmDir: string;
  accel: Accelerator;
  memoryMiB: number;
  cpus: number;
  qemuBinary: string;
  bootTimeoutMs: number;
  /** The runner's portable node (portable-node.ts), shared read-only and mounted where it expects itself. */
  nodeDir?: string;
}

/** The serial console's tail kept for boot failure reports. */
const consoleTailBytes = 16 * 1024;
const pingIntervalMs = 200;
/** AF_UNIX paths are limited to 108 bytes including the NUL. */
const maxSocketPath = 107;
/**
 * Under TCG on a busy host the kernel's fast TSC calibration against the PIT can fail, and such a boot may then hang
 * with the clock stuck at 0 (seen in about one boot of three with both cores loaded). Under heavy load the message
 * comes with most boots and most of them go on, so it only shortens how long silence is tolerated: a boot that hangs
 * is retried within seconds, one that goes on is kept. Hence no `quiet` on the command line.
 */
const tscHangSignature = "Fast TSC calibration failed";
const silenceAfterTscFailureMs = 6000;
/**
 * Other early hangs under TCG leave the console silent (seen stuck after "zone DMA" with the clock at 0); a normal
 * boot prints a line at least every second or two until the agent is up, so a longer silence means boot again.
 */
const bootSilenceMs = 10_000;
/** Fresh host randomness handed to a restored guest's kernel RNG. */
const seedBytes = 64;
const migrationPollMs = 20;
/** A guest agent that is up answers a PING in milliseconds. */
const agentSettleMs = 10_000;

export interface ExecHandlers {
  onOutput: (chunk: Buffer, stream: "stdout" | "stderr") => void;
  onExit: (exit: AgentExit) => void;
}

export class GuestVm {
  readonly shareDir: string;
  hello: AgentHello | undefined;
  private readonly qemu: ChildProcessByStdio<null, Readable, Readable>;
  private socket: Socket | undefined;
  private consoleTail: Buffer = Buffer.alloc(0);
  private nextId = 1;
  private readonly replies = new Map<number, (reply: AgentReply) => void>();
  private readonly execs = new Map<number, ExecHandlers>();
  /** Per exec, whoever waits for the STDIN_ACK of the one chunk in flight; told `true` (closed) when the exec ends. */
  private readonly stdinAcks = new Map<number, (isClosed: boolean) => void>();
  private readonly pongs = new Set<(id: number) => void>();
  private exitError: RunnerError | undefined;
  /** Set when this boot failed in a known transient way and booting again is worth it. */
  isBootRetryable = false;
  private stopBootWatch: () => void = () => undefined;
  private readonly exited: Promise<void>;

  /** With `snapshot`, QEMU loads that saved state instead of booting; every device must match the saved VM's. */
  private constructor(
    private readonly options: GuestVmOptions,
    snapshot?: string,
  ) {
    this.shareDir = join(options.vmDir, "job");
    const net = ["-netdev", "user,id=net0", "-device", "virtio-net-device,netdev=net0"];
    this.qemu = spawn(
      options.qemuBinary,
      [
        ...["-M", `microvm,accel=${options.accel}`, "-cpu", options.accel === "kvm" ? "host" : "max"],
        ...["-m", String(options.memoryMiB), "-smp", String(options.cpus)],
        ...["-no-reboot", "-nodefaults", "-no-user-config", "-display", "none", "-serial", "stdio"],
        ...["-kernel", options.image.kernel, "-initrd", options.image.initramfs],
        ...["-append", "console=ttyS0 panic=-1 reboot=t"],
        "-device",
        "virtio-serial-device",
        ...["-chardev", `socket,id=agent,path=${this.agentSocket},server=on,wait=off`],
        ...["-device", "virtserialport,chardev=agent,name=hangar.agent"],
        // security_model=none: files the guest's root writes belong to QEMU's user on the host, like the runner's own.
        ...["-fsdev", `local,id=job,path=${this.shareDir},security_model=none`],
        ...["-device", "virtio-9p-device,fsdev=job,mount_tag=job"],
        ...(options.nodeDir
          ? [
              ...["-fsdev", `local,id=node,path=${options.nodeDir},security_model=none,readonly=on`],
              ...["-device", "virtio-9p-device,fsdev=node,mount_tag=node"],
            ]
          : []),
        ...net,
        ...["-qmp", `unix:${this.qmpSocket},server=on,wait=off`],
        // QEMU 7.2 has no file: migration URI; the shell quoting keeps any path one argument.
        ...(snapshot ? ["-incoming", `exec:cat ${shellQuote(snapshot)}`] : []),
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    const abandonBoot = (): void => {
      this.isBootRetryable = true;
      this.qemu.kill("SIGKILL");
    };
    // A restored guest prints nothing, and has no boot to hang in.
    let silenceTimer = snapshot ? undefined : setTimeout(abandonBoot, bootSilenceMs);
    this.stopBootWatch = () => clearTimeout(silenceTimer);
    const keepTail = (chunk: Buffer): void => {
      this.consoleTail = Buffer.concat([this.consoleTail, chunk]).subarray(-consoleTailBytes);
      if (this.hello || this.isBootRetryable || snapshot) return;
      clearTimeout(silenceTimer);
      const isTscSuspect = this.consoleTail.includes(tscHangSignature);
      silenceTimer = setTimeout(abandonBoot, isTscSuspect ? silenceAfterTscFailureMs : bootSilenceMs);
    };
    this.qemu.stdout.on("data", keepTail);
    this.qemu.stderr.on("data", keepTail);
    this.exited = new Promise((resolve) => {
      this.qemu.once("error", (error) => {
        this.fail(
          new RunnerError("RUNNER_VM_FAILED", `cannot start ${options.qemuBinary}: ${error.message}`),
        );
        resolve();
      });
      this.qemu.once("close", (code, signal) => {
        this.stopBootWatch();
        this.fail(this.failure(`the VM stopped (QEMU exit ${code ?? signal})`));
        resolve();
      });
    });
  }

  /** Starts QEMU and resolves once the agent answered and the share is mounted; a failure carries the console tail. */
  static boot(options: GuestVmOptions): Promise<GuestVm> {
    return GuestVm.start(options, (vm) => vm.mountShare());
  }

  /**
   * Boots a VM, saves its state to `file` once the agent is up and destroys it; resolves with the time the save took.
   * Nothing is mounted over 9p yet: QEMU refuses to migrate while a 9p export is mounted.
   */
  static async saveTemplate(options: GuestVmOptions, file: string): Promise<number> {
    const vm = await GuestVm.start(options, () => Promise.resolve());
    const began = performance.now();
    try {
      // Pings sent while it booted are answered in a burst: a state saved amid it would hold a half-sent frame.
      if (!(await vm.ping(agentSettleMs, randomPingId())))
        throw vm.failure(`the template's guest agent did not answer within ${agentSettleMs} ms`);
      const qmp = await vm.connectQmp();
      try {
        await qmp.execute("stop");
        await qmp.execute("migrate", { uri: `exec:cat > ${shellQuote(file)}` });
        await vm.whenMigrated(qmp);
      } finally {
        qmp.close();
      }
      return performance.now() - began;
    } finally {
      await vm.destroy();
    }
  }

  /**
   * Starts a VM from a state saveTemplate wrote (with the same options but vmDir), gives its kernel fresh randomness
   * and the host's time so that it is no clone of its siblings in those, then mounts its share.
   */
  static async restore(options: GuestVmOptions, snapshot: string): Promise<GuestVm> {
    // QEMU waits out the whole boot timeout on an incoming state it cannot read, rather than failing the migration.
    await access(snapshot, constants.R_OK).catch((error: Error) => {
      throw new RunnerError("RUNNER_VM_FAILED", `the VM state ${snapshot} cannot be read: ${error.message}`);
    });
    await GuestVm.prepareDir(options);
    const vm = new GuestVm(options, snapshot);
    try {
      const qmp = await vm.connectQmp();
      try {
        await vm.whenMigrated(qmp);
        await qmp.execute("cont");
      } finally {
        qmp.close();
      }
      // The restored agent sent its READY long ago, to the template's host; the PING in waitForAgent asks again.
      await vm.waitForAgent(randomPingId());
      const seed = await vm.request(frameTypes.seed, encodeSeed(randomBytes(seedBytes), Date.now()));
      if (seed.errno !== 0) throw vm.failure(`reseeding the restored guest failed: ${seed.message}`);
      await vm.mountShare();
      return vm;
    } catch (error) {
      await vm.destroy();
      throw error;
    }
  }

  private static async prepareDir(options: GuestVmOptions): Promise<void> {
    if (join(options.vmDir, "agent.sock").length > maxSocketPath) {
      throw new RunnerError(
        "RUNNER_VM_FAILED",
        `the VM directory ${options.vmDir} is too long for a unix socket path`,
      );
    }
    await mkdir(join(options.vmDir, "job"), { recursive: true });
  }

  /** Boots until the agent answers, then runs `whenUp`; a boot that hung in a known transient way is tried again. */
  private static async start(
    options: GuestVmOptions,
    whenUp: (vm: GuestVm) => Promise<void>,
    attempts = 10,
  ): Promise<GuestVm> {
    await GuestVm.prepareDir(options);
    const vm = new GuestVm(options);
    try {
      await vm.waitForAgent();
      await whenUp(vm);
      vm.stopBootWatch();
      return vm;
    } catch (error) {
      vm.stopBootWatch();
      await vm.destroy();
      if (vm.isBootRetryable && attempts > 1) return GuestVm.start(options, whenUp, attempts - 1);
      throw error;
    }
  }

  private async mountShare(): Promise<void> {
    const reply = await this.request(frameTypes.mount, encodeMount("job", this.shareDir));
    if (reply.errno !== 0) throw this.failure(`mounting the job share failed: ${reply.message}`);
    if (!this.options.nodeDir) return;
    const node = await this.request(frameTypes.mount, encodeMount("node", portableNodeDir));
    if (node.errno !== 0) throw this.failure(`mounting the runner's node failed: ${node.message}`);
  }

  private async connectQmp(): Promise<Qmp> {
    const socket = await this.connectWhenListening(this.qmpSocket, "QMP");
    return Qmp.open(socket).catch((error: unknown) => {
      throw this.failure(`QMP: ${(error as Error).message}`);
    });
  }

  /** Polls an outgoing or incoming migration until it completed; a failed one is an error. */
  private async whenMigrated(qmp: Qmp): Promise<void> {
    const deadline = Date.now() + this.options.bootTimeoutMs;
    for (;;) {
      const state = (await qmp.execute("query-migrate").catch((error: Error) => {
        throw this.exitError ?? this.failure(`QMP: ${error.message}`);
      })) as { status?: string; "error-desc"?: string };
      if (state.status === "completed") return;
      if (state.status === "failed" || state.status === "cancelled") {
        throw this.failure(`the migration ${state.status}: ${state["error-desc"] ?? "no reason given"}`);
      }
      if (Date.now() > deadline) {
        throw this.failure(`the migration did not complete within ${this.options.bootTimeoutMs} ms`);
      }
      await sleep(migrationPollMs);
    }
  }

  get isAlive(): boolean {
    return this.exitError === undefined;
  }

  get console(): string {
    return this.consoleTail.toString("utf8");
  }

  private get agentSocket(): string {
    return join(this.options.vmDir, "agent.sock");
  }

  private get qmpSocket(): string {
    return join(this.options.vmDir, "qmp.sock");
  }

  failure(message: string): RunnerError {
    const tail = this.console.trim();
    return new RunnerError("RUNNER_VM_FAILED", tail ? `${message}; guest console:\n${tail}` : message);
  }

  private fail(error: RunnerError): void {
    if (this.exitError) return;
    this.exitError = error;
    this.socket?.destroy();
    const exit = { exitCode: null, signalNumber: 9 };
    for (const handlers of this.execs.values()) handlers.onExit(exit);
    this.execs.clear();
    for (const ack of this.stdinAcks.values()) ack(true);
    this.stdinAcks.clear();
    for (const reply of this.replies.values()) reply({ errno: 5, message: error.message });
    this.replies.clear();
  }

  /** Connects to one of QEMU's listening sockets once it exists. */
  private async connectWhenListening(path: string, what: string): Promise<Socket> {
    const deadline = Date.now() + this.options.bootTimeoutMs;
    for (;;) {
      if (this.exitError) throw this.exitError;
      if (Date.now() > deadline)
        throw this.failure(`the ${what} socket did not appear within ${this.options.bootTimeoutMs} ms`);
      const socket = existsSync(path) ? await connectOnce(path) : undefined;
      if (socket) return socket;
      await sleep(20);
    }
  }

  /** With `pingId`, frames before the answer to that PING are dropped: a restored guest may send its template's. */
  private async waitForAgent(pingId = 0): Promise<void> {
    const deadline = Date.now() + this.options.bootTimeoutMs;
    const isLate = (): boolean => Date.now() > deadline;
    this.socket = await this.connectWhenListening(this.agentSocket, "guest agent");
    const reader = new FrameReader((frame) => this.onFrame(frame));
    if (pingId !== 0) reader.skipUntil(frameTypes.pong, pingId);
    this.socket.on("data", (chunk: Buffer) => reader.push(chunk));
    this.socket.on("error", () => undefined);
    this.socket.on("close", () => this.fail(this.failure("the guest agent connection closed")));
    // The agent's READY may be sent before we connected; PINGs are answered with the same payload.
    await new Promise<void>((resolve, reject) => {
      const onHello = (): void => {
        clearInterval(timer);
        this.pongs.delete(onHello);
        resolve();
      };
      const timer = setInterval(() => {
        if (this.hello) return onHello();
        if (this.exitError) {
          clearInterval(timer);
          return reject(this.exitError);
        }
        if (isLate()) {
          clearInterval(timer);
          return reject(
            this.failure(`the guest agent did not answer within ${this.options.bootTimeoutMs} ms`),
          );
        }
        this.send(frameTypes.ping, pingId);
      }, pingIntervalMs);
      this.pongs.add(onHello);
      this.send(frameTypes.ping, pingId);
    });
    if (this.hello?.protocolVersion !== agentProtocolVersion) {
      throw this.failure(
        `the guest agent speaks protocol ${this.hello?.protocolVersion}, this hangar ${agentProtocolVersion}: ` +
          `run 'hangar vm build --out ${this.options.image.dir}' again`,
      );
    }
  }

  private onFrame(frame: Frame): void {
    switch (frame.type) {
      case frameTypes.ready:
      case frameTypes.pong:
        this.hello = decodeHello(frame.payload);
        for (const pong of [...this.pongs]) pong(frame.id);
        return;
      case frameTypes.reply: {
        const reply = this.replies.get(frame.id);
        this.replies.delete(frame.id);
        reply?.(decodeReply(frame.payload));
        return;
      }
      case frameTypes.stdout:
      case frameTypes.stderr:
        this.execs
          .get(frame.id)
          ?.onOutput(frame.payload, frame.type === frameTypes.stdout ? "stdout" : "stderr");
        return;
      case frameTypes.exit: {
        const handlers = this.execs.get(frame.id);
        this.execs.delete(frame.id);
        this.takeStdinAck(frame.id)?.(true);
        handlers?.onExit(decodeExit(frame.payload));
        return;
      }
      case frameTypes.stdinAck:
        this.takeStdinAck(frame.id)?.(decodeStdinAck(frame.payload));
        return;
    }
  }

  private takeStdinAck(id: number): ((isClosed: boolean) => void) | undefined {
    const ack = this.stdinAcks.get(id);
    this.stdinAcks.delete(id);
    return ack;
  }

  private send(type: (typeof frameTypes)[keyof typeof frameTypes], id: number, payload?: Buffer): void {
    if (!this.exitError) this.socket?.write(encodeFrame(type, id, payload));
  }

  private request(
    type: (typeof frameTypes)[keyof typeof frameTypes],
    payload: Buffer,
    id = this.nextId++,
  ): Promise<AgentReply> {
    if (this.exitError) return Promise.reject(this.exitError);
    return new Promise((resolve) => {
      this.replies.set(id, resolve);
      this.send(type, id, payload);
    });
  }

  /**
   * Resolves with the agent's start reply (errno 0: running); output and exit then reach `handlers`, and `stdin` (else
   * nothing) becomes the process's standard input. A stdin the process stops taking is destroyed, as the host
   * executor's is.
   */
  async exec(
    cwd: string,
    argv: string[],
    env: Record<string, string>,
    handlers: ExecHandlers,
    stdin?: Readable,
  ): Promise<ExecStart> {
    const id = this.nextId++;
    this.execs.set(id, {
      onOutput: handlers.onOutput,
      onExit: (exit) => {
        // Ends a feed that waits for the source rather than for an acknowledgement.
        stdin?.destroy();
        handlers.onExit(exit);
      },
    });
    const reply = await this.request(frameTypes.exec, encodeExec(cwd, argv, env), id);
    if (reply.errno !== 0) this.execs.delete(id);
    if (this.exitError) throw this.exitError;
    if (reply.errno === 0) void this.feedStdin(id, stdin);
    return { id, reply };
  }

  /**
   * Sends the source one acknowledged chunk at a time (agent-protocol.ts), then end of input. It stops when the exec
   * ended or its process closed its stdin; a source that fails ends the input instead of leaving the process waiting.
   */
  private async feedStdin(id: number, source: Readable | undefined): Promise<void> {
    try {
      for await (const chunk of source ?? []) {
        const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
        for (let at = 0; at < bytes.length; at += maxStdinChunk) {
          const part = bytes.subarray(at, at + maxStdinChunk);
          if (!this.execs.has(id) || (await this.sendStdin(id, part))) return;
        }
      }
    } catch {
      // The source failed or was destroyed: what it gave so far is the whole input.
    } finally {
      source?.destroy();
    }
    if (this.execs.has(id)) this.send(frameTypes.stdin, id);
  }

  /** Resolves with true when the process's stdin is closed (the chunk was dropped), false once the pipe took it. */
  private sendStdin(id: number, chunk: Buffer): Promise<boolean> {
    return new Promise((resolve) => {
      this.stdinAcks.set(id, resolve);
      this.send(frameTypes.stdin, id, chunk);
    });
  }

  signal(id: number, signo: number): void {
    this.send(frameTypes.signal, id, encodeSignal(signo));
  }

  /** True when the agent answers within `timeoutMs` (with `id`: answers this very PING). */
  ping(timeoutMs: number, id = 0): Promise<boolean> {
    if (this.exitError) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onPong = (pongId: number): void => {
        if (pongId !== id) return;
        clearTimeout(timer);
        this.pongs.delete(onPong);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.pongs.delete(onPong);
        resolve(false);
      }, timeoutMs);
      this.pongs.add(onPong);
      this.send(frameTypes.ping, id);
    });
  }

  /** Unplugs the NIC on the host side (QMP set_link): the guest's root cannot plug it back. */
  async disconnectNetwork(): Promise<void> {
    const qmp = await this.connectQmp();
    try {
      await qmp.execute("set_link", { name: "net0", up: false });
    } catch (error) {
      throw this.failure(`QEMU refused to unplug the network: ${(error as Error).message}`);
    } finally {
      qmp.close();
    }
  }

  async destroy(): Promise<void> {
    this.socket?.destroy();
    if (this.qemu.exitCode === null && this.qemu.signalCode === null) this.qemu.kill("SIGKILL");
    await this.exited;
  }
}

export interface ExecStart {
  id: number;
  reply: AgentReply;
}

function connectOnce(path: string): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const socket = connect(path);
    socket.once("connect", () => resolve(socket));
    socket.once("error", () => resolve(undefined));
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Nonzero: id 0 is what every other PING and the READY carry. */
function randomPingId(): number {
  return randomInt(1, 2 ** 32);
}

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`;
}

/** A QMP session: one command at a time, its reply in order; events are skipped. */
class Qmp {
  private buffered = "";
  private readonly waiting: {
    resolve: (reply: Record<string, unknown>) => void;
    reject: (error: Error) => void;
  }[] = [];

  private constructor(private readonly socket: Socket) {}

  /** Resolves once QEMU greeted and accepted qmp_capabilities. */
  static async open(socket: Socket): Promise<Qmp> {
    const qmp = new Qmp(socket);
    const greeted = new Promise<void>((resolve, reject) =>
      qmp.waiting.push({ resolve: () => resolve(), reject }),
    );
    socket.on("data", (chunk: Buffer) => qmp.onData(chunk));
    socket.on("error", () => undefined);
    socket.on("close", () => {
      for (const waiter of qmp.waiting.splice(0)) waiter.reject(new Error("QEMU closed the QMP connection"));
    });
    await greeted;
    await qmp.execute("qmp_capabilities");
    return qmp;
  }

  private onData(chunk: Buffer): void {
    this.buffered += chunk.toString("utf8");
    let newline: number;
    while ((newline = this.buffered.indexOf("\n")) >= 0) {
      const message = JSON.parse(this.buffered.slice(0, newline)) as Record<string, unknown>;
      this.buffered = this.buffered.slice(newline + 1);
      if ("QMP" in message || "return" in message || "error" in message)
        this.waiting.shift()?.resolve(message);
    }
  }

  /** Resolves with the command's return value; QEMU's error is thrown with its description. */
  execute(command: string, args?: object): Promise<unknown> {
    return new Promise((resolve, reject) => {
      if (this.socket.destroyed) return reject(new Error("the QMP connection is closed"));
      this.waiting.push({
        resolve: (reply) =>
          "error" in reply
            ? reject(
                new Error(
                  `${command}: ${(reply["error"] as { desc?: string }).desc ?? JSON.stringify(reply)}`,
                ),
              )
            : resolve(reply["return"]),
        reject,
      });
      this.socket.write(JSON.stringify({ execute: command, ...(args ? { arguments: args } : {}) }) + "\n");
    });
  }

  close(): void {
    this.socket.end();
  }
}
