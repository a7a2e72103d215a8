// The containers' seccomp profile as OCI JSON (crun compiles it with libseccomp): the sandbox's denied syscalls but
// ptrace, which Docker allows for debuggers, plus clone with a namespace flag. Anything else runs.
import { seccompDeniedSyscalls } from "../../executors/sandbox/seccomp-filter.js";

const EPERM = 1;
/** clone3 passes its flags in memory seccomp cannot read: ENOSYS makes libc fall back to clone, whose flags it can. */
const ENOSYS = 38;

/** CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET. */
const cloneNamespaceFlags = [
  0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000,
];

export function buildSeccompProfile(): Record<string, unknown> {
  return {
    defaultAction: "SCMP_ACT_ALLOW",
    // 32-bit x86 binaries keep working, as under Docker; libseccomp maps each name to every architecture's number.
    architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
    syscalls: [
      {
        names: seccompDeniedSyscalls.filter((name) => name !== "ptrace"),
        action: "SCMP_ACT_ERRNO",
        errnoRet: EPERM,
      },
      { names: ["clone3"], action: "SCMP_ACT_ERRNO", errnoRet: ENOSYS },
      // One rule per flag: libseccomp ORs rules on one syscall, and a masked compare can only test equality.
      ...cloneNamespaceFlags.map((flag) => ({
        names: ["clone"],
        action: "SCMP_ACT_ERRNO",
        errnoRet: EPERM,
        args: [{ index: 0, value: flag, valueTwo: flag, op: "SCMP_CMP_MASKED_EQ" }],
      })),
    ],
  };
}
