#include "harness/tls_certificate.hpp"

#include <sys/stat.h>

#include "harness/server_process.hpp"
#include "harness/temp_dir.hpp"

namespace mailprune::test {

TestCertificate make_test_certificate(const std::string& dir) {
  // Our own config file, so the system openssl.cnf's defaults (v3_ca on every req -x509) do not
  // add or duplicate extensions.
  const std::string config = dir + "/openssl.cnf";
  write_file(config,
             "[req]\n"
             "distinguished_name = dn\n"
             "prompt = no\n"
             "[dn]\n"
             "CN = placeholder\n"
             "[ca_ext]\n"
             "basicConstraints = critical,CA:TRUE\n"
             "keyUsage = critical,keyCertSign,cRLSign\n"
             "subjectKeyIdentifier = hash\n"
             "[server_ext]\n"
             "basicConstraints = critical,CA:FALSE\n"
             "keyUsage = critical,digitalSignature,keyEncipherment\n"
             "extendedKeyUsage = serverAuth\n"
             "subjectAltName = DNS:localhost,IP:127.0.0.1\n"
             "subjectKeyIdentifier = hash\n"
             "authorityKeyIdentifier = keyid\n");
  TestCertificate result{dir + "/ca.pem", dir + "/cert.pem", dir + "/key.pem"};
  const std::string ca_key = dir + "/ca.key";
  const std::string request = dir + "/cert.csr";
  const std::vector<std::string> new_key = {"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"};

  std::vector<std::string> ca = {"openssl", "req",   "-x509",
                                 "-config", config,  "-extensions",
                                 "ca_ext",  "-subj", "/CN=mailprune test CA " + random_hex(8),
                                 "-days",   "2",     "-keyout",
                                 ca_key,    "-out",  result.ca_path};
  ca.insert(ca.begin() + 3, new_key.begin(), new_key.end());
  run_checked(ca);

  std::vector<std::string> csr = {"openssl",       "req",     "-new",          "-config", config, "-subj",
                                  "/CN=localhost", "-keyout", result.key_path, "-out",    request};
  csr.insert(csr.begin() + 3, new_key.begin(), new_key.end());
  run_checked(csr);

  // A random serial: two runs' certificates must never look alike to a client's session cache.
  run_checked({"openssl", "x509", "-req", "-in", request, "-CA", result.ca_path, "-CAkey", ca_key, "-set_serial",
               "0x" + random_hex(16), "-days", "2", "-extfile", config, "-extensions", "server_ext", "-out",
               result.cert_path});
  ::chmod(result.key_path.c_str(), 0600);
  ::chmod(ca_key.c_str(), 0600);
  return result;
}

}  // namespace mailprune::test
