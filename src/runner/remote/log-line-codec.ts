// Log lines as the text of log chunks: plain lines stay readable, the rest carry GitHub's `##[kind]` markers.
import type { LogLine } from "../types.js";

/** GitHub's raw job logs mark groups and debug lines like this; stderr and system lines get markers of our own. */
const SIMPLE_MARKERS = {
  stderr: (text: string): LogLine => ({ stream: "stderr", text }),
  system: (text: string): LogLine => ({ stream: "system", text }),
  debug: (text: string): LogLine => ({ stream: "stdout", text, debug: true }),
  group: (text: string): LogLine => ({ stream: "stdout", text, group: "start" }),
  endgroup: (text: string): LogLine => ({ stream: "stdout", text, group: "end" }),
  stdout: (text: string): LogLine => ({ stream: "stdout", text }),
} as const;
type SimpleMarker = keyof typeof SIMPLE_MARKERS;
/** Anything else (annotations, multi-line text) is the line as JSON, so nothing is lost. */
const JSON_MARKER = "line";
const MARKER = /^##\[([a-z]+)\](.*)$/s;

function simpleMarkerOf(line: LogLine): SimpleMarker | undefined {
  if (line.annotation || /[\r\n]/.test(line.text)) return undefined;
  if (line.group)
    return line.stream === "stdout" && !line.debug
      ? line.group === "start"
        ? "group"
        : "endgroup"
      : undefined;
  if (line.debug) return line.stream === "stdout" ? "debug" : undefined;
  return line.stream;
}

export function encodeLogLine(line: LogLine): string {
  const marker = simpleMarkerOf(line);
  if (marker === undefined) return `##[${JSON_MARKER}]${JSON.stringify(line)}`;
  if (marker === "stdout" && !line.text.startsWith("##[")) return line.text;
  return `##[${marker}]${line.text}`;
}

/** The lines of a chunk's text (whole lines, each ending in a newline). */
export function decodeLogText(text: string): LogLine[] {
  const parts = text.split("\n");
  if (parts[parts.length - 1] === "") parts.pop();
  return parts.map(decodeLogLine);
}

function decodeLogLine(encoded: string): LogLine {
  const match = MARKER.exec(encoded);
  if (!match) return { stream: "stdout", text: encoded };
  const [, marker = "", rest = ""] = match;
  if (marker === JSON_MARKER) return JSON.parse(rest) as LogLine;
  if (Object.hasOwn(SIMPLE_MARKERS, marker)) return SIMPLE_MARKERS[marker as SimpleMarker](rest);
  return { stream: "stdout", text: encoded };
}
