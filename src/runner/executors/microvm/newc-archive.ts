// Packs a directory tree into a gzip-compressed cpio "newc" archive, the format the kernel unpacks as its initramfs.
// Hand-written: newc is a 110-byte ASCII header per entry, and Debian hosts ship no cpio binary by default.
import { lstat, readFile, readdir, readlink } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

function header(name: string, mode: number, size: number, inode: number, mtime: number): Buffer {
  const fields = [inode, mode, 0, 0, 1, mtime, size, 0, 0, 0, 0, Buffer.byteLength(name) + 1, 0];
  const text = `070701${fields.map((value) => value.toString(16).padStart(8, "0")).join("")}`;
  return Buffer.from(text, "ascii");
}

/** Entries padded to four bytes, as newc requires after the name and after the data. */
function pad(length: number): Buffer {
  return Buffer.alloc((4 - (length % 4)) % 4);
}

export async function packInitramfs(rootDir: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  let inode = 1;
  const add = (name: string, mode: number, data: Buffer, mtime: number): void => {
    const head = header(name, mode, data.length, inode++, mtime);
    const nameBytes = Buffer.from(`${name}\0`, "utf8");
    parts.push(head, nameBytes, pad(head.length + nameBytes.length), data, pad(data.length));
  };
  const walk = async (relative: string): Promise<void> => {
    const names = (await readdir(join(rootDir, relative))).sort();
    for (const name of names) {
      const path = relative === "" ? name : `${relative}/${name}`;
      const info = await lstat(join(rootDir, path));
      const mtime = Math.floor(info.mtimeMs / 1000);
      if (info.isSymbolicLink())
        add(path, info.mode, Buffer.from(await readlink(join(rootDir, path))), mtime);
      else if (info.isFile()) add(path, info.mode, await readFile(join(rootDir, path)), mtime);
      else if (info.isDirectory()) {
        add(path, info.mode, Buffer.alloc(0), mtime);
        await walk(path);
      }
    }
  };
  await walk("");
  add("TRAILER!!!", 0, Buffer.alloc(0), 0);
  return gzipSync(Buffer.concat(parts), { level: 6 });
}
