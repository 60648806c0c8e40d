"""A test certificate authority for the loopback TLS servers of the tests (SMTP, webhooks)."""
import datetime
import ssl

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def issue_certificate(folder, common_name, alt_names):
    """A CA (``folder/ca.pem``) and a server context whose certificate that CA issued for
    ``alt_names`` (x509 general names) only; returns (CA file path, server SSLContext)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())

    def issued(subject, public_key, serial, extension, critical):
        return (x509.CertificateBuilder().subject_name(subject).issuer_name(_name("Test CA"))
                .public_key(public_key).serial_number(serial)
                .not_valid_before(now - datetime.timedelta(days=1))
                .not_valid_after(now + datetime.timedelta(days=1))
                .add_extension(extension, critical=critical).sign(ca_key, hashes.SHA256()))

    ca = issued(_name("Test CA"), ca_key.public_key(), 1,
                x509.BasicConstraints(ca=True, path_length=None), True)
    server = issued(_name(common_name), server_key.public_key(), 2,
                    x509.SubjectAlternativeName(alt_names), False)
    (folder / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (folder / "server.pem").write_bytes(server.public_bytes(serialization.Encoding.PEM))
    (folder / "server.key").write_bytes(server_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(folder / "server.pem", folder / "server.key")
    return folder / "ca.pem", context
