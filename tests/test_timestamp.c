/* test_timestamp.c - RFC 3161 tokens are validated at their genTime: a
 * token made while the TSA's certificate was valid still verifies after
 * the certificate has expired, and one made after it expired does not.
 * The tokens come from a throwaway CA and `openssl ts -reply` run at a
 * shifted clock (faketime, from Debian); without openssl or faketime the
 * test says so and checks nothing. */
#include "harness.h"
#include "testutil.h"
#include "hallmark/error.h"
#include "hallmark/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char script[] =
    "set -e\n"
    "cat > tsa.cnf <<'EOF'\n"
    "[ req ]\ndistinguished_name = dn\nprompt = no\n[ dn ]\nCN = unused\n"
    "[ ca_ext ]\nbasicConstraints = critical, CA:true\nkeyUsage = critical, keyCertSign, cRLSign\n"
    "subjectKeyIdentifier = hash\n"
    "[ tsa_ext ]\nbasicConstraints = critical, CA:false\nkeyUsage = critical, digitalSignature\n"
    "extendedKeyUsage = critical, timeStamping\nsubjectKeyIdentifier = hash\n"
    "authorityKeyIdentifier = keyid\n"
    "[ tsa ]\ndefault_tsa = tsa_config\n[ tsa_config ]\ndir = .\nserial = ./tsaserial\n"
    "signer_cert = ./tsa.crt\nsigner_key = ./tsa.key\nsigner_digest = sha256\n"
    "default_policy = 1.2.3.4.1\ndigests = sha256\naccuracy = secs:1\nordering = yes\n"
    "tsa_name = no\ness_cert_id_chain = no\ness_cert_id_alg = sha256\n"
    "EOF\n"
    "echo 'the data stamped' > data.txt\n"
    /* five days ago: a CA for 30 days, a TSA certificate for 2 days */
    "faketime -f '-5d' openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
    "  -keyout ca.key -out ca.crt -days 30 -subj /CN=ca -config tsa.cnf -extensions ca_ext\n"
    "faketime -f '-5d' openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
    "  -keyout tsa.key -out tsa.csr -subj /CN=tsa -config tsa.cnf\n"
    "faketime -f '-5d' openssl x509 -req -in tsa.csr -CA ca.crt -CAkey ca.key -CAcreateserial "
    "  -out tsa.crt -days 2 -extfile tsa.cnf -extensions tsa_ext\n"
    "echo 01 > tsaserial\n"
    "openssl ts -query -data data.txt -sha256 -cert -out q.tsq\n"
    /* a token made four days ago (the certificate valid then, expired now) */
    "faketime -f '-4d' openssl ts -reply -queryfile q.tsq -out old.tsr -config tsa.cnf\n"
    /* a token made one day ago, after the certificate had expired */
    "faketime -f '-1d' openssl ts -reply -queryfile q.tsq -out late.tsr -config tsa.cnf\n";

HM_TEST(timestamp_validated_at_gen_time)
{
    char dir[] = "/tmp/hm-ts-XXXXXX", cmd[256], gen[32];
    unsigned char *data, *ca, *q, *old, *late;
    size_t dl, cl, ql, ol, ll;
    FILE *sh;
    if (system("command -v openssl >/dev/null 2>&1 && command -v faketime >/dev/null 2>&1") != 0) {
        printf("# SKIP: openssl or faketime is missing\n");
        return;
    }
    REQUIRE(mkdtemp(dir) != NULL);
    snprintf(cmd, sizeof cmd, "%s/make.sh", dir);
    sh = fopen(cmd, "w");
    REQUIRE(sh != NULL);
    fputs(script, sh);
    fclose(sh);
    snprintf(cmd, sizeof cmd, "cd %s && bash make.sh >log 2>&1", dir);
    REQUIRE(system(cmd) == 0);
    snprintf(cmd, sizeof cmd, "%s/data.txt", dir);
    data = hm_test_slurp(cmd, &dl);
    snprintf(cmd, sizeof cmd, "%s/ca.crt", dir);
    ca = hm_test_slurp(cmd, &cl);
    snprintf(cmd, sizeof cmd, "%s/q.tsq", dir);
    q = hm_test_slurp(cmd, &ql);
    snprintf(cmd, sizeof cmd, "%s/old.tsr", dir);
    old = hm_test_slurp(cmd, &ol);
    snprintf(cmd, sizeof cmd, "%s/late.tsr", dir);
    late = hm_test_slurp(cmd, &ll);
    REQUIRE(data && ca && q && old && late);
    /* made while the certificate was valid: verifies, though it has expired */
    CHECK_EQ_INT(hm_report_ts_verify(old, ol, q, ql, data, dl, ca, cl, gen, sizeof gen), HM_OK);
    CHECK(strlen(gen) >= 14);
    /* made after the certificate expired: refused */
    CHECK_EQ_INT(hm_report_ts_verify(late, ll, q, ql, data, dl, ca, cl, NULL, 0), HM_E_SIGNATURE);
    free(data);
    free(ca);
    free(q);
    free(old);
    free(late);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    (void)!system(cmd);
}
