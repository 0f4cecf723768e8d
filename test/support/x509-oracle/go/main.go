// x509-oracle models the whole path a CSR takes in Kubernetes, with Go's own
// code, so csrbot's TypeScript parser can be checked against it
// (test/support/x509-oracle/oracle.ts runs it differentially):
//
//  1. kube-apiserver and the signer parse the request with crypto/x509 and
//     check its self-signature;
//  2. the in-tree signer (pkg/controller/certificates/authority) builds a
//     certificate template whose Subject is the parsed pkix.Name: marshalling
//     it re-encodes the subject, so attributes Go did not understand (a
//     VisibleString CN) and attributes outside pkix.Name's fields (the user
//     UID, OID 1.3.6.1.4.1.57683.2) are gone;
//  3. x509.CreateCertificate signs it with a CA;
//  4. kube-apiserver's x509 authenticator (CommonNameUserConversion) reads
//     the issued certificate: username = CN (empty refuses), groups = O, and
//     the UID attribute when AllowParsingUserUIDFromCertAuth is on.
//
// Input: one base64 DER CSR per line on stdin. Output: one JSON object per
// line on stdout, in order. Standard library only: no module downloads.
package main

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"time"
)

var uidOID = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57683, 2}

type result struct {
	// Stage that refused: "" when a certificate was issued and authenticates.
	Refused  string   `json:"refused,omitempty"`
	Error    string   `json:"error,omitempty"`
	Username string   `json:"username"`
	Groups   []string `json:"groups"`
	UID      string   `json:"uid,omitempty"`
	// UID as the CSR carried it (before the signer re-encoded the subject).
	RequestedUID string `json:"requestedUid,omitempty"`
}

func main() {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(err)
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "oracle-ca"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	must(err)
	ca, err := x509.ParseCertificate(caDER)
	must(err)

	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<22)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	serial := int64(2)
	for in.Scan() {
		der, err := base64.StdEncoding.DecodeString(in.Text())
		if err != nil {
			must(enc.Encode(result{Refused: "input", Error: err.Error()}))
			continue
		}
		serial++
		must(enc.Encode(issue(der, ca, caKey, serial)))
	}
	must(in.Err())
}

func issue(der []byte, ca *x509.Certificate, caKey *ecdsa.PrivateKey, serial int64) result {
	cr, err := x509.ParseCertificateRequest(der)
	if err != nil {
		return result{Refused: "parse", Error: err.Error()}
	}
	if err := cr.CheckSignature(); err != nil {
		return result{Refused: "signature", Error: err.Error()}
	}
	requestedUID := uidOf(cr.Subject.Names)
	// authority.Sign's template: the subject as Go parsed it, SANs copied.
	tmpl := &x509.Certificate{
		SerialNumber:       big.NewInt(serial),
		Subject:            cr.Subject,
		DNSNames:           cr.DNSNames,
		IPAddresses:        cr.IPAddresses,
		EmailAddresses:     cr.EmailAddresses,
		URIs:               cr.URIs,
		PublicKeyAlgorithm: cr.PublicKeyAlgorithm,
		PublicKey:          cr.PublicKey,
		NotBefore:          time.Now().Add(-5 * time.Minute),
		NotAfter:           time.Now().Add(time.Hour),
		KeyUsage:           x509.KeyUsageDigitalSignature,
		ExtKeyUsage:        []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	certDER, err := x509.CreateCertificate(rand.Reader, tmpl, ca, cr.PublicKey, caKey)
	if err != nil {
		return result{Refused: "sign", Error: err.Error(), RequestedUID: requestedUID}
	}
	cert, err := x509.ParseCertificate(certDER)
	if err != nil {
		return result{Refused: "reparse", Error: err.Error(), RequestedUID: requestedUID}
	}
	// CommonNameUserConversion.
	groups := cert.Subject.Organization
	if groups == nil {
		groups = []string{}
	}
	r := result{Username: cert.Subject.CommonName, Groups: groups, UID: uidOf(cert.Subject.Names), RequestedUID: requestedUID}
	if r.Username == "" {
		r.Refused = "authenticate"
		r.Error = "common name is empty"
	}
	return r
}

func uidOf(names []pkix.AttributeTypeAndValue) string {
	for _, n := range names {
		if n.Type.Equal(uidOID) {
			if s, ok := n.Value.(string); ok {
				return s
			}
			return fmt.Sprintf("%v", n.Value)
		}
	}
	return ""
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
