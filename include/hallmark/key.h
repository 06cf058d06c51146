/* TEMPORARY stand-in until key management lands (replaced at merge). */
#ifndef HALLMARK_KEY_H
#define HALLMARK_KEY_H
#include <stdint.h>
#include "export.h"
typedef struct hm_key hm_key;
#endif
