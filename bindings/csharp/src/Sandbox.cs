using System;

namespace Dmp
{
    /// <summary>A local DMP for tests, in-process, on 127.0.0.1 with mutual TLS (test PKI of
    /// examples/pki), storing in a folder. Dispose stops it.</summary>
    public sealed class Sandbox : IDisposable
    {
        private readonly SandboxHandle handle;

        /// <summary><paramref name="uiAddress"/>: a loopback IP:PORT for the HTML page, or null.</summary>
        public Sandbox(string dataDir, string uiAddress)
        {
            Ffi.Check(Native.dmp_sandbox_start(Ffi.C(dataDir, "data_dir"), Ffi.C(uiAddress, "ui_address"), out handle));
        }

        /// <summary>https://127.0.0.1:PORT: the endpoint of a <see cref="Client"/>.</summary>
        public string BaseUrl { get { return Ffi.CString(Native.dmp_sandbox_base_url(handle)); } }

        /// <summary>http://127.0.0.1:PORT/, or null without a page.</summary>
        public string UiUrl { get { return Ffi.CString(Native.dmp_sandbox_ui_url(handle)); } }

        /// <summary>Stops the sandbox (idempotent); its data stays in its folder.</summary>
        public void Dispose() { handle.Dispose(); }
    }
}
