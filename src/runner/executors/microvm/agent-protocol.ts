// The wire format between the host and the guest agent (guest-agent.c) on the virtio-serial port; contract: both sides change together.
//
// Every frame: type u8, exec id u32 (big-endian), payload length u32 (big-endian), payload.
// Host → guest:
//   PING   id, empty                               → PONG with the READY payload
//   MOUNT  id, "tag\0target\0"                     → REPLY (mounts the 9p share `tag` at `target`, creating it)
//   EXEC   id, argc u32, envc u32, "cwd\0", argc × "arg\0", envc × "NAME=value\0"
//          → REPLY (errno 0: started in its own session; else it never ran), then STDOUT/STDERR chunks, then EXIT
//   STDIN  id, up to 256 KiB of the exec's stdin   → STDIN_ACK once the pipe took them all, or dropped them
//          id, empty: end of input, the pipe is closed (no answer)
//          Flow control: one chunk at a time per exec, the next only after the last one's STDIN_ACK, so the agent
//          holds at most one chunk per exec and never blocks on a pipe. Without stdin the host sends end of input at
//          once. A chunk for an exec that finished or whose stdin is closed is dropped and answered as closed.
//   SIGNAL id, signo u32                           → the signal goes to the exec's process group
//   SEED   id, seconds u64, nanoseconds u32, up to 512 random bytes
//          → REPLY (the bytes are credited to the kernel RNG, the CRNG reseeded, the realtime clock set)
// Guest → host:
//   READY  id 0, protocol version u32, kernel release (sent once when the agent starts)
//   STDOUT / STDERR  id, bytes as they were read
//   EXIT   id, exit code i32 (-1 when killed by a signal), signal number u32 (0 when it exited)
//   REPLY  id, errno u32, message
//   STDIN_ACK  id, closed u32: 1 when the process closed its stdin or exited and the chunk's rest was dropped (send no
//          more), else 0; the agent closes the pipe when the exec's process exits, dropping what it left unread
// Hand-written: a nine-byte header needs no serialisation library.

export const agentProtocolVersion = 3;

export const frameTypes = {
  ping: 0x01,
  mount: 0x02,
  exec: 0x03,
  signal: 0x04,
  seed: 0x05,
  stdin: 0x06,
  ready: 0x80,
  pong: 0x81,
  stdout: 0x82,
  stderr: 0x83,
  exit: 0x84,
  reply: 0x85,
  stdinAck: 0x86,
} as const;

export type FrameType = (typeof frameTypes)[keyof typeof frameTypes];

export interface Frame {
  type: number;
  id: number;
  payload: Buffer;
}

const headerLength = 9;
/** The agent refuses larger frames; an EXEC with a huge environment must fail here, not in the guest. */
export const maxPayloadLength = 1 << 20;

export function encodeFrame(type: FrameType, id: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  if (payload.length > maxPayloadLength) {
    throw new RangeError(`agent frame payload of ${payload.length} bytes exceeds ${maxPayloadLength}`);
  }
  const header = Buffer.alloc(headerLength);
  header.writeUInt8(type, 0);
  header.writeUInt32BE(id >>> 0, 1);
  header.writeUInt32BE(payload.length, 5);
  return Buffer.concat([header, payload]);
}

export function encodeExec(cwd: string, argv: string[], env: Record<string, string>): Buffer {
  const entries = Object.entries(env).map(([name, value]) => `${name}=${value}`);
  const counts = Buffer.alloc(8);
  counts.writeUInt32BE(argv.length, 0);
  counts.writeUInt32BE(entries.length, 4);
  const strings = [cwd, ...argv, ...entries].map((text) => {
    if (text.includes("\0")) throw new RangeError("exec arguments and environment may not contain NUL bytes");
    return `${text}\0`;
  });
  return Buffer.concat([counts, Buffer.from(strings.join(""), "utf8")]);
}

export function encodeMount(tag: string, target: string): Buffer {
  return Buffer.from(`${tag}\0${target}\0`, "utf8");
}

export function encodeSignal(signo: number): Buffer {
  const payload = Buffer.alloc(4);
  payload.writeUInt32BE(signo, 0);
  return payload;
}

/** The agent takes at most this much entropy per SEED. */
export const maxSeedBytes = 512;

export function encodeSeed(entropy: Buffer, epochMs: number): Buffer {
  if (entropy.length > maxSeedBytes) throw new RangeError(`a seed holds at most ${maxSeedBytes} bytes`);
  const time = Buffer.alloc(12);
  time.writeBigUInt64BE(BigInt(Math.floor(epochMs / 1000)), 0);
  time.writeUInt32BE(Math.round((epochMs % 1000) * 1e6), 8);
  return Buffer.concat([time, entropy]);
}

/** The most stdin one STDIN frame carries: large enough that a round trip per chunk costs little. */
export const maxStdinChunk = 256 * 1024;

/** True when the process's stdin is closed: the chunk was dropped and no more should be sent. */
export function decodeStdinAck(payload: Buffer): boolean {
  return payload.readUInt32BE(0) !== 0;
}

export interface AgentHello {
  protocolVersion: number;
  kernelRelease: string;
}

export function decodeHello(payload: Buffer): AgentHello {
  return { protocolVersion: payload.readUInt32BE(0), kernelRelease: payload.subarray(4).toString("utf8") };
}

export interface AgentReply {
  errno: number;
  message: string;
}

export function decodeReply(payload: Buffer): AgentReply {
  return { errno: payload.readUInt32BE(0), message: payload.subarray(4).toString("utf8") };
}

export interface AgentExit {
  exitCode: number | null;
  signalNumber: number;
}

export function decodeExit(payload: Buffer): AgentExit {
  const code = payload.readInt32BE(0);
  return { exitCode: code < 0 ? null : code, signalNumber: payload.readUInt32BE(4) };
}

/** Cuts a byte stream into frames; a frame may arrive split across any number of chunks. */
export class FrameReader {
  private pending: Buffer = Buffer.alloc(0);
  private skipTo: Buffer | undefined;

  constructor(private readonly onFrame: (frame: Frame) => void) {}

  /** Drops every byte before the next frame of this type and id, such as the tail of a frame half sent earlier. */
  skipUntil(type: FrameType, id: number): void {
    this.skipTo = Buffer.alloc(5);
    this.skipTo.writeUInt8(type, 0);
    this.skipTo.writeUInt32BE(id >>> 0, 1);
  }

  push(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    if (this.skipTo) {
      const at = this.pending.indexOf(this.skipTo);
      if (at < 0) {
        this.pending = this.pending.subarray(Math.max(0, this.pending.length - this.skipTo.length + 1));
        return;
      }
      this.pending = this.pending.subarray(at);
      this.skipTo = undefined;
    }
    while (this.pending.length >= headerLength) {
      const length = this.pending.readUInt32BE(5);
      if (this.pending.length < headerLength + length) return;
      const frame = {
        type: this.pending.readUInt8(0),
        id: this.pending.readUInt32BE(1),
        payload: this.pending.subarray(headerLength, headerLength + length),
      };
      this.pending = this.pending.subarray(headerLength + length);
      this.onFrame(frame);
    }
  }
}
