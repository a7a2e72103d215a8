// Turns one output stream's byte chunks into text lines; knows nothing of commands or masking.
import { StringDecoder } from "node:string_decoder";

/**
 * Splits like .NET's StreamReader.ReadLine, which the GitHub runner uses on step output:
 * "\n", "\r\n" and a lone "\r" each end a line, and a "\r\n" split across two chunks is one ending.
 * StringDecoder keeps UTF-8 sequences cut between chunks intact; no line-splitting library also
 * treats a lone "\r" as a line end and holds back a trailing "\r" until the next chunk.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder("utf8");
  private partial = "";
  private isAfterCarriageReturn = false;

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Buffer | string): void {
    this.consume(typeof chunk === "string" ? chunk : this.decoder.write(chunk));
  }

  /** Flushes the decoder and a final line that had no line ending. */
  end(): void {
    this.consume(this.decoder.end());
    if (this.partial !== "") {
      const last = this.partial;
      this.partial = "";
      this.onLine(last);
    }
    this.isAfterCarriageReturn = false;
  }

  private consume(text: string): void {
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const ch = text.charCodeAt(i);
      if (ch === 10 /* \n */) {
        if (this.isAfterCarriageReturn && i === start && this.partial === "") {
          // Second half of a "\r\n": the line already ended at the "\r".
          this.isAfterCarriageReturn = false;
          start = i + 1;
          continue;
        }
        this.emit(text.slice(start, i));
        start = i + 1;
        this.isAfterCarriageReturn = false;
      } else if (ch === 13 /* \r */) {
        this.emit(text.slice(start, i));
        start = i + 1;
        this.isAfterCarriageReturn = true;
      } else {
        this.isAfterCarriageReturn = false;
      }
    }
    this.partial += text.slice(start);
  }

  private emit(tail: string): void {
    const line = this.partial + tail;
    this.partial = "";
    this.onLine(line);
  }
}
