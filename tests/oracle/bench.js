// tests/oracle/bench.js CORPUS REPEAT - single-thread encode throughput of
// the native baselines on CORPUS, best of REPEAT runs: Rust tiktoken
// (tiktoken-rs-node, cl100k_base and o200k_base) and Rust HF tokenizers
// (@anush008/tokenizers, qwen3 tokenizer.json).  Prints
// "ENGINE NAME MBPS HASH COUNT" lines, HASH = FNV-1a over the ids (as
// `hallmark bench tokenize` computes it) so the caller checks identity.
"use strict";
const fs = require("fs");
const path = require("path");
const [corpus, repeatArg] = process.argv.slice(2);
const repeat = parseInt(repeatArg || "3", 10);
const text = fs.readFileSync(corpus, "utf8");
const mb = Buffer.byteLength(text, "utf8") / 1e6;
function hash(ids) {
    let h = 2166136261 >>> 0;
    for (let i = 0; i < ids.length; i++) h = Math.imul((h ^ ids[i]) >>> 0, 16777619) >>> 0;
    return h >>> 0;
}
async function main() {
    const nm = path.join(__dirname, "node_modules");
    const rs = require(path.join(nm, "tiktoken-rs-node-linux-x64-gnu/tiktoken-rs-node.linux-x64-gnu.node"));
    for (const name of ["cl100k_base", "o200k_base"]) {
        const e = rs.getEncoding(name);
        let best = 1e30, ids;
        for (let r = 0; r < repeat; r++) {
            const t0 = process.hrtime.bigint();
            ids = e.encode(text);
            const dt = Number(process.hrtime.bigint() - t0) / 1e9;
            if (dt < best) best = dt;
        }
        console.log(`tiktoken-rs ${name} ${(mb / best).toFixed(3)} ${hash(ids)} ${ids.length}`);
    }
    const hf = require(path.join(nm, "@anush008/tokenizers-linux-x64-gnu/tokenizers.linux-x64-gnu.node"));
    const tj = path.join(__dirname, "../../samples/tokenizers/qwen3.tokenizer.json");
    if (fs.existsSync(tj)) {
        const t = hf.Tokenizer.fromFile(tj);
        let best = 1e30, ids;
        for (let r = 0; r < repeat; r++) {
            const t0 = process.hrtime.bigint();
            const e = await t.encode(text, null, false);
            ids = e.getIds();
            const dt = Number(process.hrtime.bigint() - t0) / 1e9;
            if (dt < best) best = dt;
        }
        console.log(`hf-tokenizers qwen3 ${(mb / best).toFixed(3)} ${hash(ids)} ${ids.length}`);
    }
}
main().catch((e) => { console.error(e); process.exit(1); });
