#include "net/tls_identity.h"

#include <gtest/gtest.h>

#include <fstream>

#include "testing.h"

namespace ss::net {
namespace {

bool IsLowerHex64(const std::string& s) {
  return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

TEST(TlsIdentity, GeneratedIdentityHasStableIds) {
  auto a = GenerateSelfSignedIdentity("node-a");
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_NE(a->cert_pem.find("BEGIN CERTIFICATE"), std::string::npos);
  EXPECT_NE(a->key_pem.find("PRIVATE KEY"), std::string::npos);
  auto fp = CertFingerprint(a->cert_pem);
  auto id = PublicKeyId(a->cert_pem);
  ASSERT_TRUE(fp.ok() && id.ok());
  EXPECT_TRUE(IsLowerHex64(*fp));
  EXPECT_TRUE(IsLowerHex64(*id));
  EXPECT_NE(*fp, *id);
  EXPECT_EQ(*CertFingerprint(a->cert_pem), *fp);
  auto b = GenerateSelfSignedIdentity("node-b");
  ASSERT_TRUE(b.ok());
  EXPECT_NE(*PublicKeyId(b->cert_pem), *id);
}

// The ids agree with what the openssl command line computes independently.
TEST(TlsIdentity, IdsMatchOpensslCli) {
  auto a = GenerateSelfSignedIdentity("cli-check");
  ASSERT_TRUE(a.ok());
  ss::testing::TempDir dir;
  std::ofstream(dir / "cert.pem") << a->cert_pem;
  auto fp = ss::testing::RunCommand("openssl x509 -in " + dir / "cert.pem" +
                                    " -outform DER | sha256sum | cut -c1-64");
  auto id =
      ss::testing::RunCommand("openssl x509 -in " + dir / "cert.pem" +
                              " -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum | cut -c1-64");
  ASSERT_EQ(fp.exit_code, 0) << fp.output;
  ASSERT_EQ(id.exit_code, 0) << id.output;
  EXPECT_EQ(*CertFingerprint(a->cert_pem) + "\n", fp.output);
  EXPECT_EQ(*PublicKeyId(a->cert_pem) + "\n", id.output);
}

TEST(TlsIdentity, RefusesNonPem) {
  EXPECT_FALSE(CertFingerprint("").ok());
  EXPECT_FALSE(PublicKeyId("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").ok());
}

}  // namespace
}  // namespace ss::net
