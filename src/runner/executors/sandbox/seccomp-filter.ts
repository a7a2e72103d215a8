// The sandbox's optional seccomp filter: a classic BPF program for bwrap's --seccomp fd. Knows x86_64 syscall numbers only.
// Hand-assembled: no library on this project's dependency list compiles seccomp filters (libseccomp is C).

/** x86_64 syscalls a CI job has no business making: other processes' memory, kernel keys and modules, mounts, namespaces. */
const deniedSyscalls: Record<string, number> = {
  ptrace: 101,
  process_vm_readv: 310,
  process_vm_writev: 311,
  keyctl: 250,
  add_key: 248,
  request_key: 249,
  bpf: 321,
  perf_event_open: 298,
  userfaultfd: 323,
  kexec_load: 246,
  kexec_file_load: 320,
  init_module: 175,
  finit_module: 313,
  delete_module: 176,
  mount: 165,
  umount2: 166,
  pivot_root: 155,
  swapon: 167,
  swapoff: 168,
  reboot: 169,
  setns: 308,
  // bwrap installs the filter after its own unshare, so denying it here only binds the job.
  unshare: 272,
  open_by_handle_at: 304,
  name_to_handle_at: 303,
  iopl: 172,
  ioperm: 173,
  acct: 163,
  quotactl: 179,
  open_tree: 428,
  move_mount: 429,
  fsopen: 430,
  fsconfig: 431,
  fsmount: 432,
  fspick: 433,
  mount_setattr: 442,
};
const cloneSyscall = 56;
/** clone3 passes its flags in memory BPF cannot read: ENOSYS makes libc fall back to clone, whose flags we can check. */
const clone3Syscall = 435;
/** CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET. */
const cloneNamespaceFlags = 0x7e020000;
const x32SyscallBit = 0x40000000;

const AUDIT_ARCH_X86_64 = 0xc000003e;
const EPERM = 1;
const ENOSYS = 38;
const SECCOMP_RET_KILL_PROCESS = 0x80000000;
const SECCOMP_RET_ERRNO = 0x00050000;
const SECCOMP_RET_ALLOW = 0x7fff0000;
// struct seccomp_data: nr at 0, arch at 4, args[0] (low half on little endian) at 16.
const offsetNr = 0;
const offsetArch = 4;
const offsetArg0 = 16;
// BPF opcodes (linux/bpf_common.h).
const LD_W_ABS = 0x20;
const JMP_JEQ_K = 0x15;
const JMP_JSET_K = 0x45;
const RET_K = 0x06;

interface Instruction {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

/**
 * The filter as bwrap reads it from `--seccomp FD`: struct sock_filter[] in host byte order. Other
 * architectures are killed (the numbers below mean other syscalls there), x32 calls and the denied
 * ones get EPERM, clone with a namespace flag EPERM, clone3 ENOSYS, everything else runs.
 */
export function buildSeccompFilter(): Buffer {
  const denied = Object.values(deniedSyscalls);
  // Layout: [0..3] arch and x32 checks, one jeq per denied syscall, [4] clone3 and clone, then the returns.
  const program: Instruction[] = [];
  const returnsAt = 4 + denied.length + 4;
  const allowAt = returnsAt;
  const epermAt = returnsAt + 1;
  const enosysAt = returnsAt + 2;
  const killAt = returnsAt + 3;
  const jumpTo = (target: number): number => target - program.length - 1;

  program.push({ code: LD_W_ABS, jt: 0, jf: 0, k: offsetArch });
  program.push({ code: JMP_JEQ_K, jt: 0, jf: jumpTo(killAt), k: AUDIT_ARCH_X86_64 });
  program.push({ code: LD_W_ABS, jt: 0, jf: 0, k: offsetNr });
  program.push({ code: JMP_JSET_K, jt: jumpTo(epermAt), jf: 0, k: x32SyscallBit });
  for (const nr of denied) program.push({ code: JMP_JEQ_K, jt: jumpTo(epermAt), jf: 0, k: nr });
  program.push({ code: JMP_JEQ_K, jt: jumpTo(enosysAt), jf: 0, k: clone3Syscall });
  program.push({ code: JMP_JEQ_K, jt: 0, jf: jumpTo(allowAt), k: cloneSyscall });
  program.push({ code: LD_W_ABS, jt: 0, jf: 0, k: offsetArg0 });
  program.push({ code: JMP_JSET_K, jt: jumpTo(epermAt), jf: 0, k: cloneNamespaceFlags });
  program.push({ code: RET_K, jt: 0, jf: 0, k: SECCOMP_RET_ALLOW });
  program.push({ code: RET_K, jt: 0, jf: 0, k: SECCOMP_RET_ERRNO | EPERM });
  program.push({ code: RET_K, jt: 0, jf: 0, k: SECCOMP_RET_ERRNO | ENOSYS });
  program.push({ code: RET_K, jt: 0, jf: 0, k: SECCOMP_RET_KILL_PROCESS });

  const buffer = Buffer.alloc(program.length * 8);
  program.forEach((instruction, index) => {
    buffer.writeUInt16LE(instruction.code, index * 8);
    buffer.writeUInt8(instruction.jt, index * 8 + 2);
    buffer.writeUInt8(instruction.jf, index * 8 + 3);
    buffer.writeUInt32LE(instruction.k, index * 8 + 4);
  });
  return buffer;
}

export const seccompDeniedSyscalls = Object.keys(deniedSyscalls);
