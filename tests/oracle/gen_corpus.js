// tests/oracle/gen_corpus.js BYTES SEED - prints a deterministic, varied
// test corpus as JSON lines (one JSON string = one document) of about BYTES
// UTF-8 bytes: King James Bible passages (Debian bible-kjv), C headers from
// /usr/include, and generated CJK, emoji and ZWJ sequences, long digit and
// whitespace runs, mixed scripts with combining marks (decomposed forms for
// NFC), contractions in every letter case, CRLF line ends and random
// Unicode scalars.  Same BYTES + SEED + machine files = same output.
"use strict";
const fs = require("fs");
const { execFileSync } = require("child_process");

const target = parseInt(process.argv[2] || "5500000", 10);
let seed = parseInt(process.argv[3] || "12345", 10) >>> 0;
function rnd() { // mulberry32
    seed = (seed + 0x6d2b79f5) >>> 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const ri = (n) => Math.floor(rnd() * n);
const pick = (a) => a[ri(a.length)];
const cp = (lo, hi) => String.fromCodePoint(lo + ri(hi - lo + 1));

let kjv = "";
try {
    kjv = execFileSync("bible", ["-f", "Gen1:1-Rev22:21"], { input: "", maxBuffer: 64 << 20 }).toString("utf8");
} catch (e) { kjv = ""; }

let headers = [];
try {
    const names = fs.readdirSync("/usr/include").filter((f) => f.endsWith(".h")).sort();
    for (const n of names.slice(0, 400)) {
        try { headers.push(fs.readFileSync("/usr/include/" + n, "utf8")); } catch (e) { }
    }
} catch (e) { }

const words = ["the", "and", "of", "to", "in", "is", "you", "that", "it", "he", "was", "for", "on", "are",
    "as", "with", "his", "they", "I", "at", "be", "this", "have", "from", "or", "one", "had", "by",
    "word", "but", "not", "what", "all", "were", "we", "when", "your", "can", "said", "there"];
const contractions = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d"];
function anyCase(s) { let o = ""; for (const c of s) o += rnd() < 0.5 ? c.toUpperCase() : c.toLowerCase(); return o; }
const emoji = ["😀", "🌍", "👍🏽", "👨‍👩‍👧‍👦", "🏳️‍🌈", "👩🏾‍💻", "🧑‍🤝‍🧑", "❤️", "🇯🇵", "🇺🇸", "✊🏿", "🤷‍♀️", "👁️‍🗨️", "1️⃣", "🫠", "🦀"];
const spaces = [" ", "  ", "\t", "\n", "\r\n", "\n\n", "\u00a0", "\u3000", "\u2003", " \n", "\r", "\u2028", "\u000b", "\f"];
const scripts = [[0x0400, 0x04ff], [0x0370, 0x03ff], [0x0600, 0x06ff], [0x05d0, 0x05ea], [0x0900, 0x097f],
    [0x0e00, 0x0e7f], [0x10a0, 0x10ff], [0x0530, 0x058f], [0x0041, 0x007a], [0x00c0, 0x024f], [0x1e00, 0x1eff]];
const stableBlocks = [[0x20, 0x7e], [0xa0, 0x24f], [0x370, 0x3ff], [0x400, 0x4ff], [0x590, 0x5ff],
    [0x600, 0x6ff], [0x900, 0x97f], [0xe00, 0xe7f], [0x1100, 0x11ff], [0x2000, 0x2064], [0x2190, 0x23ff],
    [0x2500, 0x27bf], [0x3040, 0x30ff], [0x4e00, 0x9fff], [0xac00, 0xd7a3], [0xff00, 0xffef],
    [0x1d400, 0x1d7ff], [0x1f300, 0x1f64f], [0x20000, 0x2a6df]];
const combining = [0x0300, 0x0301, 0x0302, 0x0303, 0x0308, 0x030a, 0x0327, 0x0323, 0x0331, 0x05b0, 0x093c, 0x0e48];

function gen(kind) {
    let s = "";
    const n = 50 + ri(400);
    switch (kind) {
    case 0: { // KJV passage
        if (!kjv) return gen(4);
        const a = ri(kjv.length - 20000);
        return kjv.slice(a, a + 2000 + ri(15000));
    }
    case 1: { // source code
        if (!headers.length) return gen(4);
        const h = pick(headers);
        const a = ri(Math.max(1, h.length - 3000));
        return h.slice(a, a + 500 + ri(6000));
    }
    case 2: // CJK
        for (let i = 0; i < n; i++) {
            const r = ri(10);
            s += r < 5 ? cp(0x4e00, 0x9fff) : r < 7 ? cp(0x3041, 0x3096) : r < 8 ? cp(0x30a1, 0x30fa)
                : r < 9 ? cp(0xac00, 0xd7a3) : pick(["、", "。", "！", "？", "「", "」", " ", "\n", "１２３"]);
        }
        return s;
    case 3: // emoji and ZWJ
        for (let i = 0; i < n; i++) s += pick(emoji) + (rnd() < 0.3 ? pick(spaces) : "") + (rnd() < 0.2 ? pick(words) : "");
        return s;
    case 4: // English with contractions in every case
        for (let i = 0; i < n; i++) {
            s += (i ? pick([" ", " ", " ", ", ", ". ", "\n", "  ", "\r\n"]) : "") + anyCase(pick(words));
            if (rnd() < 0.25) s += anyCase(pick(contractions));
            if (rnd() < 0.05) s += pick(["'", "’s", "''", "'S'", "'llama"]);
        }
        return s;
    case 5: // digits and whitespace runs
        for (let i = 0; i < n; i++) {
            const r = ri(5);
            if (r === 0) for (let k = ri(40); k > 0; k--) s += String(ri(10));
            else if (r === 1) s += pick(spaces).repeat(1 + ri(30));
            else if (r === 2) s += pick(["١٢٣", "४५६", "Ⅻ", "½", "²", "3.14159", "1,000,000", "0x7fff"]);
            else s += pick(words) + pick(spaces);
        }
        return s;
    case 6: // mixed scripts with combining marks
        for (let i = 0; i < n; i++) {
            const sc = pick(scripts);
            for (let k = 1 + ri(8); k > 0; k--) {
                s += cp(sc[0], sc[1]);
                if (rnd() < 0.15) s += String.fromCodePoint(pick(combining));
                if (rnd() < 0.05) s += String.fromCodePoint(pick(combining)) + String.fromCodePoint(pick(combining));
            }
            s += rnd() < 0.3 ? pick(spaces) : pick(["", "-", "'", "’", ".", "/", ")", "\u200d", "\u200b"]);
        }
        return s;
    case 7: // CRLF text
        for (let i = 0; i < n; i++) s += pick(words) + (rnd() < 0.2 ? "\r\n" : rnd() < 0.1 ? "\r\n\r\n" : " ");
        return s;
    default: // random scalars from long-established blocks (their classes agree
        // across the Unicode versions of PCRE2, utf8proc, Rust regex and V8;
        // U+0085, U+180E and U+FEFF, where reference engines disagree on \s,
        // are left out: see docs/tokenizers.md)
        for (let i = 0; i < n; i++) {
            const b = pick(stableBlocks);
            s += cp(b[0], b[1]);
        }
        return s;
    }
}

let total = 0;
const weights = [30, 14, 10, 8, 14, 8, 8, 4, 4];
const wsum = weights.reduce((a, b) => a + b, 0);
const out = [];
while (total < target) {
    let r = ri(wsum), k = 0;
    while (r >= weights[k]) r -= weights[k++];
    let d = gen(k);
    if (rnd() < 0.1) d += gen(ri(9)); // mixtures
    out.push(JSON.stringify(d));
    total += Buffer.byteLength(d, "utf8");
}
process.stdout.write(out.join("\n") + "\n");
