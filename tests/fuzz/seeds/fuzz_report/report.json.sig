{
	"format":	"hallmark-report-signature-v1",
	"algorithm":	"ed25519",
	"signer_key_id":	"6e960030235bb646",
	"public_key":	"1a0436c8598419dce320a05aacb4b214402c0094791d02d4be1e534a7c6b4598",
	"report_sha256":	"1afbd88f755fdf3611ffecfa803c144aff8fcbb9bbea0c60025c2f278693051d",
	"signature":	"0d8e5c10e35451c1a5b8d910eccfaf8e4affa17f3efd75336c7e9c41ae00396dd9a2255c4b2ddce48e961bee09e8fa9a10c2bac2b918ef9d835a015452e96306"
}
