// One QEMU microVM and the connection to its guest agent: boot, mount, exec, signal, network off, destroy. Knows nothing of jobs.
import type { ChildProcessByStdio } from "node:child_process";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { RunnerError } from "../../runner-error.js";
import {
  agentProtocolVersion,
  decodeExit,
  decodeHello,
  decodeReply,
  encodeExec,
  encodeFrame,
  encodeMount,
  encodeSignal,
  FrameReader,
  frameTypes,
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
  private readonly pongs = new Set<() => void>();
  private exitError: RunnerError | undefined;
  /** Set when this boot failed in a known transient way and booting again is worth it. */
  isBootRetryable = false;
  private stopBootWatch: () => void = () => undefined;
  private readonly exited: Promise<void>;

  private constructor(private readonly options: GuestVmOptions) {
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
        ...net,
        ...["-qmp", `unix:${this.qmpSocket},server=on,wait=off`],
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    const abandonBoot = (): void => {
      this.isBootRetryable = true;
      this.qemu.kill("SIGKILL");
    };
    let silenceTimer = setTimeout(abandonBoot, bootSilenceMs);
    this.stopBootWatch = () => clearTimeout(silenceTimer);
    const keepTail = (chunk: Buffer): void => {
      this.consoleTail = Buffer.concat([this.consoleTail, chunk]).subarray(-consoleTailBytes);
      if (this.hello || this.isBootRetryable) return;
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
  static async boot(options: GuestVmOptions, attempts = 10): Promise<GuestVm> {
    if (join(options.vmDir, "agent.sock").length > maxSocketPath) {
      throw new RunnerError(
        "RUNNER_VM_FAILED",
        `the VM directory ${options.vmDir} is too long for a unix socket path`,
      );
    }
    await mkdir(join(options.vmDir, "job"), { recursive: true });
    const vm = new GuestVm(options);
    try {
      await vm.waitForAgent();
      const reply = await vm.request(frameTypes.mount, encodeMount("job", vm.shareDir));
      if (reply.errno !== 0) throw vm.failure(`mounting the job share failed: ${reply.message}`);
      vm.stopBootWatch();
      return vm;
    } catch (error) {
      vm.stopBootWatch();
      await vm.destroy();
      if (vm.isBootRetryable && attempts > 1) return GuestVm.boot(options, attempts - 1);
      throw error;
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
    for (const reply of this.replies.values()) reply({ errno: 5, message: error.message });
    this.replies.clear();
  }

  private async waitForAgent(): Promise<void> {
    const deadline = Date.now() + this.options.bootTimeoutMs;
    const isLate = (): boolean => Date.now() > deadline;
    while (!this.socket) {
      if (this.exitError) throw this.exitError;
      if (isLate())
        throw this.failure(`the guest agent socket did not appear within ${this.options.bootTimeoutMs} ms`);
      if (existsSync(this.agentSocket)) this.socket = await connectOnce(this.agentSocket);
      if (!this.socket) await sleep(20);
    }
    const reader = new FrameReader((frame) => this.onFrame(frame));
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
        this.send(frameTypes.ping, 0);
      }, pingIntervalMs);
      this.pongs.add(onHello);
      this.send(frameTypes.ping, 0);
    });
    if (this.hello?.protocolVersion !== agentProtocolVersion) {
      throw this.failure(
        `the guest agent speaks protocol ${this.hello?.protocolVersion}, not ${agentProtocolVersion}`,
      );
    }
  }

  private onFrame(frame: Frame): void {
    switch (frame.type) {
      case frameTypes.ready:
      case frameTypes.pong:
        this.hello = decodeHello(frame.payload);
        for (const pong of [...this.pongs]) pong();
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
        handlers?.onExit(decodeExit(frame.payload));
        return;
      }
    }
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

  /** Resolves with the agent's start reply (errno 0: running); output and exit then reach `handlers`. */
  async exec(
    cwd: string,
    argv: string[],
    env: Record<string, string>,
    handlers: ExecHandlers,
  ): Promise<ExecStart> {
    const id = this.nextId++;
    this.execs.set(id, handlers);
    const reply = await this.request(frameTypes.exec, encodeExec(cwd, argv, env), id);
    if (reply.errno !== 0) this.execs.delete(id);
    if (this.exitError) throw this.exitError;
    return { id, reply };
  }

  signal(id: number, signo: number): void {
    this.send(frameTypes.signal, id, encodeSignal(signo));
  }

  /** True when the agent answers within `timeoutMs`. */
  ping(timeoutMs: number): Promise<boolean> {
    if (this.exitError) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onPong = (): void => {
        clearTimeout(timer);
        this.pongs.delete(onPong);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.pongs.delete(onPong);
        resolve(false);
      }, timeoutMs);
      this.pongs.add(onPong);
      this.send(frameTypes.ping, 0);
    });
  }

  /** Unplugs the NIC on the host side (QMP set_link): the guest's root cannot plug it back. */
  async disconnectNetwork(): Promise<void> {
    const replies = await qmp(this.qmpSocket, [
      { execute: "qmp_capabilities" },
      { execute: "set_link", arguments: { name: "net0", up: false } },
    ]);
    const failed = replies.find((reply) => "error" in reply);
    if (failed) throw this.failure(`QEMU refused to unplug the network: ${JSON.stringify(failed)}`);
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

/** Sends QMP commands in order and collects their replies (events are skipped). */
function qmp(path: string, commands: object[]): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    const replies: Record<string, unknown>[] = [];
    let buffered = "";
    let isGreeted = false;
    socket.on("error", reject);
    socket.on("data", (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      let newline: number;
      while ((newline = buffered.indexOf("\n")) >= 0) {
        const message = JSON.parse(buffered.slice(0, newline)) as Record<string, unknown>;
        buffered = buffered.slice(newline + 1);
        if ("QMP" in message) isGreeted = true;
        else if ("return" in message || "error" in message) replies.push(message);
        else continue;
        const next = commands[replies.length];
        if (isGreeted && next && (replies.length > 0 || "QMP" in message))
          socket.write(JSON.stringify(next) + "\n");
        if (replies.length === commands.length) {
          socket.end();
          resolve(replies);
        }
      }
    });
  });
}
