#!/usr/bin/env bash
# samples/kjv-chapters.sh - prints the King James Bible (Debian's bible-kjv)
# one chapter per line: verse prefixes ("Ge1:1 ") removed, the verses of a
# chapter joined by spaces (1,189 lines).  Shared by the n-gram sample
# model (train-sample-model.sh) and the neural one (neural/build.sh), which
# both hold out every 25th chapter.
set -euo pipefail
command -v bible >/dev/null || { echo "kjv-chapters: 'bible' not found (apt-get install bible-kjv)" >&2; exit 2; }
# A chapter changes when the "book+chapter" part of the reference does.
bible -f "Gen1:1-Rev22:21" </dev/null | awk '
  {
    ref = $1; sub(/:[0-9]+$/, "", ref);
    text = $0; sub(/^[^ ]+ /, "", text);
    if (ref != cur) { if (cur != "") print line; cur = ref; line = text }
    else line = line " " text
  }
  END { if (cur != "") print line }'
