// Shared by the wasm equivalence and benchmark scripts: argument parsing, the input walk (the
// same order and relative paths as `kakou dicom`), the native output lookup, and the comparison.

import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** `--name value` and `--flag` arguments into an object; the rest in `_`. */
export function parseArgs(argv, defaults = {}) {
  const out = { ...defaults, _: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith("--")) {
      const [k, inline] = a.slice(2).split("=", 2);
      const name = k.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
      if (inline !== undefined) out[name] = inline;
      else if (typeof defaults[name] === "boolean") out[name] = true;
      else if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) out[name] = argv[++i];
      else out[name] = true;
    } else out._.push(a);
  }
  return out;
}

export function defaultCorpus() {
  const base = process.env.KAKOU_CORPUS || join(process.env.HOME || "", ".cache/kakou/corpus");
  return join(base, "dcm");
}

/** Every regular file under `root` (or `root` itself), sorted by path like walkdir's sort_by_file_name. */
export function walk(root) {
  const st = statSync(root);
  if (st.isFile()) return [{ path: root, rel: root.split(sep).pop(), size: st.size }];
  const out = [];
  const visit = (dir) => {
    const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) visit(p);
      else if (e.isFile()) out.push({ path: p, rel: relative(root, p), size: statSync(p).size });
    }
  };
  visit(root);
  return out;
}

/** Reads the key file format (`#` comment lines, then 64 hex digits). */
export function readKey(file) {
  return readFileSync(file, "utf8");
}

export const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");

/** The index of the first byte where `a` and `b` differ (or the shorter length), -1 if equal. */
export function firstDiff(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

/** What the native run produced for each input: output path + outcome, or the error code. */
export class NativeRun {
  constructor(outDir) {
    this.dir = outDir;
    this.lines = new Map();
    const jsonl = join(outDir, "report.jsonl");
    if (!existsSync(jsonl)) throw new Error(`${jsonl} is missing: is ${outDir} a 'kakou dicom' output folder?`);
    for (const line of readFileSync(jsonl, "utf8").split("\n")) {
      if (!line.trim()) continue;
      const j = JSON.parse(line);
      this.lines.set(j.file, j);
    }
  }

  /** { where: "release"|"quarantine"|null, path, line } for a relative path. */
  lookup(rel) {
    for (const where of ["release", "quarantine"]) {
      const p = join(this.dir, where, rel);
      if (existsSync(p)) return { where, path: p, line: this.lines.get(rel) };
    }
    return { where: null, path: null, line: this.lines.get(rel) };
  }
}

/** Same JSON text for the same value whatever the key order. */
function canonical(v) {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object") {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

/**
 * Compares one wasm result with the native run. `r` is { rel, ok, outcome, sha, report } for a
 * success or { rel, ok: false, code, message } for a thrown error. Returns null when equivalent,
 * else a sentence. `bytesOf` (optional) returns the wasm output bytes, to locate the first
 * differing byte.
 */
export async function compare(native, r, bytesOf) {
  const n = native.lookup(r.rel);
  if (!r.ok) {
    if (n.where) return `wasm failed (${r.code}: ${r.message}) but native wrote ${n.where}/${r.rel}`;
    if (n.line && n.line.code !== r.code) return `wasm failed with ${r.code}, native with ${n.line.code}`;
    return null;
  }
  const expected = r.outcome === "quarantined" ? "quarantine" : "release";
  if (!n.where) return `wasm ${r.outcome} but native produced no output (${n.line ? `${n.line.code}: ${n.line.error}` : "no report line"})`;
  if (n.where !== expected) return `wasm ${r.outcome} but native wrote ${n.where}/`;
  const nativeBytes = readFileSync(n.path);
  const nativeSha = sha256(nativeBytes);
  if (nativeSha !== r.sha) {
    let where = "";
    if (bytesOf) {
      const w = await bytesOf(r.rel);
      const at = firstDiff(w, nativeBytes);
      where = `; first differing byte at offset ${at} (0x${at.toString(16)}): wasm ${hexAround(w, at)} native ${hexAround(nativeBytes, at)}; sizes wasm ${w.length} native ${nativeBytes.length}`;
    }
    return `output differs: sha256 wasm ${r.sha.slice(0, 16)}… native ${nativeSha.slice(0, 16)}…${where}`;
  }
  if (n.line && r.report && canonical(n.line) !== canonical(r.report)) {
    const fields = Object.keys(n.line).filter((k) => canonical(n.line[k]) !== canonical(r.report[k]));
    return `same bytes but the reports differ in: ${fields.join(", ")}`;
  }
  return null;
}

function hexAround(bytes, at) {
  const s = Buffer.from(bytes.subarray(Math.max(0, at - 4), at + 12)).toString("hex");
  return `[${s}]`;
}

/** Prints the mismatches and the closing line; returns the exit code. */
export function finish(label, passed, failures) {
  for (const [rel, why] of failures) console.log(`MISMATCH ${rel}: ${why}`);
  console.log(`${label} done`);
  console.log(`${passed} passed, ${failures.length} failed`);
  return failures.length ? 1 : 0;
}

export function fmtRate(files, bytes, ms) {
  const s = ms / 1000;
  return `${files} files, ${(bytes / 1e6).toFixed(1)} MB in ${s.toFixed(2)} s: ${(files / s).toFixed(1)} files/s, ${(bytes / 1e6 / s).toFixed(1)} MB/s`;
}
