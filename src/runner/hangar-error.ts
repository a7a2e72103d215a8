// The base of hangar's faults: an Error with a stable code from its module's code table, and its cause.
export class HangarError<Code extends string = string> extends Error {
  constructor(
    readonly code: Code,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}
