#!/usr/bin/env node
// samples/tokenize-node.js - development fallback for `hallmark tokenize`:
// reads UTF-8 text on stdin and writes the cl100k_base token ids of each
// line (encode_ordinary, no special tokens) as one line of blank-separated
// decimal integers, the input format of build/samples/train-lm.
//
// Uses the npm package tiktoken (1.0.22), looked up in $TIKTOKEN_DIR (a
// node_modules directory), tests/oracle/node_modules, /tmp/node_modules,
// /tmp/hallmark-node/node_modules, then node's own search path.  Exit status
// 3 means tiktoken was not found (callers treat it as "skip").
'use strict';
const path = require('path');
const fs = require('fs');

const root = path.resolve(__dirname, '..');
const dirs = [
  process.env.TIKTOKEN_DIR,
  path.join(root, 'tests', 'oracle', 'node_modules'),
  '/tmp/node_modules',
  '/tmp/hallmark-node/node_modules',
].filter(Boolean);

let tiktoken = null;
for (const d of dirs) {
  const p = path.join(d, 'tiktoken');
  if (fs.existsSync(p)) {
    try { tiktoken = require(p); break; } catch (e) { /* try the next */ }
  }
}
if (!tiktoken) {
  try { tiktoken = require('tiktoken'); } catch (e) { /* not found */ }
}
if (!tiktoken) {
  process.stderr.write('tokenize-node: the npm package tiktoken was not found\n');
  process.exit(3);
}

const enc = tiktoken.get_encoding('cl100k_base');
const text = fs.readFileSync(0, 'utf8');
const lines = text.split('\n');
if (lines.length && lines[lines.length - 1] === '') lines.pop();
const out = [];
for (const line of lines) out.push(Array.from(enc.encode_ordinary(line)).join(' '));
enc.free();
process.stdout.write(out.length ? out.join('\n') + '\n' : '');
