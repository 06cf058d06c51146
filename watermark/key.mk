# watermark/key.mk - build additions of the key module: the key-file fuzzer.
FUZZ_TARGETS += fuzz_keyfile
