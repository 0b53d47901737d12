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
export function canonical(v) {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object") {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

/**
 * Compares one wasm result with the native run. `r` is { rel, ok, outcome, sha, report } for a
 * success or { rel, ok: false, code, message } for a thrown error. Returns null when equivalent,
 * { skip: why } for a known, accepted difference, else a sentence. `bytesOf` (optional) returns the wasm output bytes, to locate the first
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
  if (n.where === "release" && expected === "quarantine" && jpeg2000NotEditable(r.report)) {
    // Known limit of the browser build: no JPEG 2000 decoder, so pixels that a rule must blank
    // cannot be edited and the file is quarantined (the safe side) where native blanks it.
    return { skip: "JPEG 2000 pixels: blanked natively, quarantined in wasm (no JPEG 2000 decoder in the browser build)" };
  }
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

const JPEG2000_TS = ["1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91", "1.2.840.10008.1.2.4.92", "1.2.840.10008.1.2.4.93",
  "1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.202", "1.2.840.10008.1.2.4.203"];
function jpeg2000NotEditable(report) {
  return report && report.quarantine && report.quarantine.code === "pixels-not-editable" && JPEG2000_TS.includes(report.transfer_syntax);
}

function hexAround(bytes, at) {
  const s = Buffer.from(bytes.subarray(Math.max(0, at - 4), at + 12)).toString("hex");
  return `[${s}]`;
}

/** Tallies compare() verdicts. */
export class Tally {
  constructor() { this.passed = 0; this.failures = []; this.skips = []; }
  add(rel, verdict) {
    if (!verdict) this.passed++;
    else if (verdict.skip) this.skips.push([rel, verdict.skip]);
    else this.failures.push([rel, verdict]);
  }
  /** Prints the skips, the mismatches and the closing line; returns the exit code. */
  finish(label) {
    for (const [rel, why] of this.skips) console.log(`EXPECTED ${rel}: ${why}`);
    for (const [rel, why] of this.failures) console.log(`MISMATCH ${rel}: ${why}`);
    console.log(`${label} done`);
    console.log(`${this.passed} passed, ${this.failures.length} failed${this.skips.length ? `, ${this.skips.length} skipped` : ""}`);
    return this.failures.length ? 1 : 0;
  }
}

export function fmtRate(files, bytes, ms) {
  const s = ms / 1000;
  return `${files} files, ${(bytes / 1e6).toFixed(1)} MB in ${s.toFixed(2)} s: ${(files / s).toFixed(1)} files/s, ${(bytes / 1e6 / s).toFixed(1)} MB/s`;
}
