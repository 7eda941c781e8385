using System;

namespace Dmp
{
    /// <summary>A signing identity: the key that signs the VIHF and the XAdES of requests (in
    /// indirect mode the establishment's ORG_SIGN certificate) and its chain. A wrong password
    /// throws <see cref="DmpKeyException"/> (4000, <c>Record["what"]</c> = "password").</summary>
    public sealed class Identity : IDisposable
    {
        internal readonly IdentityHandle Handle;

        private Identity(IdentityHandle h) { Handle = h; }

        /// <summary>From the bytes of a PKCS#12 (.p12) file.</summary>
        public static Identity FromP12(byte[] p12, string password)
        {
            if (p12 == null) throw new ArgumentNullException("p12");
            IdentityHandle h;
            Ffi.Check(Native.dmp_identity_new_from_p12(p12, Ffi.Len(p12), Ffi.C(password, "password"), out h));
            return new Identity(h);
        }

        /// <summary>From a PKCS#12 (.p12) file.</summary>
        public static Identity FromP12File(string path, string password)
        {
            IdentityHandle h;
            Ffi.Check(Native.dmp_identity_new_from_p12_file(Ffi.C(path, "path"), Ffi.C(password, "password"), out h));
            return new Identity(h);
        }

        /// <summary><c>{"kind", "algorithm", "subject", "issuer", "serial", "not_before", "not_after", "structure_id", …}</c> (never key material).</summary>
        public string Info()
        {
            BytesHandle o;
            Ffi.Check(Native.dmp_identity_info(Handle, out o));
            return Ffi.TakeText(o);
        }

        /// <summary>Releases the identity (idempotent).</summary>
        public void Dispose() { Handle.Dispose(); }
    }
}
