using System;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Dmp
{
    /// <summary>A dmp_bytes owned by .NET: released by Dispose or the finalizer, exactly once.</summary>
    public sealed class BytesHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        public BytesHandle() : base(true) { }
        protected override bool ReleaseHandle() { Native.dmp_bytes_free(handle); return true; }
    }

    /// <summary>A dmp_matrix owned by .NET.</summary>
    public sealed class MatrixHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        public MatrixHandle() : base(true) { }
        protected override bool ReleaseHandle() { Native.dmp_matrix_free(handle); return true; }
    }

    /// <summary>A dmp_identity owned by .NET.</summary>
    public sealed class IdentityHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        public IdentityHandle() : base(true) { }
        private IdentityHandle(bool owns) : base(owns) { }
        /// <summary>NULL, for the optional identity of dmp_send.</summary>
        internal static readonly IdentityHandle Null = new IdentityHandle(false);
        protected override bool ReleaseHandle() { Native.dmp_identity_free(handle); return true; }
    }

    /// <summary>A dmp_retrieval owned by .NET.</summary>
    public sealed class RetrievalHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        public RetrievalHandle() : base(true) { }
        protected override bool ReleaseHandle() { Native.dmp_retrieval_free(handle); return true; }
    }

    /// <summary>A dmp_client owned by .NET (its connections close with it).</summary>
    public sealed class ClientHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        public ClientHandle() : base(true) { }
        protected override bool ReleaseHandle() { Native.dmp_client_free(handle); return true; }
    }

    /// <summary>A dmp_sandbox owned by .NET (releasing it stops the sandbox).</summary>
    public sealed class SandboxHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        public SandboxHandle() : base(true) { }
        protected override bool ReleaseHandle() { Native.dmp_sandbox_free(handle); return true; }
    }

    /// <summary>The C functions of libdmp (include/dmp.h). Strings go in as NUL-terminated UTF-8
    /// byte arrays (see <see cref="Ffi.C"/>), so no platform code page ever applies.</summary>
    internal static class Native
    {
        private const string Lib = "dmp";
        private const CallingConvention Cdecl = CallingConvention.Cdecl;

        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern IntPtr dmp_version();
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern uint dmp_last_error_json(byte[] buf, UIntPtr len, out UIntPtr outLen);
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern IntPtr dmp_result_name(uint result);

        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern IntPtr dmp_bytes_data(BytesHandle bytes);
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern UIntPtr dmp_bytes_len(BytesHandle bytes);
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern void dmp_bytes_free(IntPtr bytes);

        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern uint dmp_check_ins(byte[] matricule, byte[] oid, out BytesHandle outCx);
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern uint dmp_check_ins_cx(byte[] cx, out BytesHandle outJson);
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern uint dmp_check_rpps(byte[] rpps, out BytesHandle outIdnat);
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern uint dmp_check_finess(byte[] finess, out BytesHandle outCanonical);
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern uint dmp_check_idnat(byte[] idnat, out BytesHandle outCanonical);

        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern uint dmp_matrix_new_default(out MatrixHandle outMatrix);
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern uint dmp_matrix_new_from_csv(byte[] csv, byte[] infoJson, out MatrixHandle outMatrix);
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern uint dmp_matrix_new_from_json(byte[] json, out MatrixHandle outMatrix);
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern uint dmp_matrix_with_settings(MatrixHandle matrix, byte[] settingsJson, out MatrixHandle outMatrix);
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern uint dmp_matrix_info(MatrixHandle matrix, out BytesHandle outJson);
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern uint dmp_matrix_decide(MatrixHandle matrix, byte[] readerJson, byte[] typeCode, out BytesHandle outJson);
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern uint dmp_matrix_readable_types(MatrixHandle matrix, byte[] readerJson, out BytesHandle outJson);
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern void dmp_matrix_free(IntPtr matrix);
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern uint dmp_rights_decide(byte[] auth, byte[] actor, byte[] mode, byte[] transaction, out BytesHandle outJson);
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern uint dmp_staff_report(MatrixHandle matrix, byte[] staffJson, out BytesHandle outJson);
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern uint dmp_staff_report_text(MatrixHandle matrix, byte[] staffJson, out BytesHandle outText);

        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern uint dmp_cda_build(byte[] headerJson, byte[] content, UIntPtr contentLen, byte[] mediaType, out BytesHandle outXml);
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern uint dmp_cda_read(byte[] xml, UIntPtr xmlLen, out BytesHandle outHeaderJson, out BytesHandle outContent);

        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern uint dmp_identity_new_from_p12(byte[] p12, UIntPtr len, byte[] password, out IdentityHandle outIdentity);
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern uint dmp_identity_new_from_p12_file(byte[] path, byte[] password, out IdentityHandle outIdentity);
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern uint dmp_identity_info(IdentityHandle identity, out BytesHandle outJson);
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern void dmp_identity_free(IntPtr identity);

        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern uint dmp_feed_build(IdentityHandle identity, byte[] requestJson, byte[] now, ulong seed, out BytesHandle outMessage, out BytesHandle outInfo);
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern uint dmp_feed_check(byte[] message, UIntPtr len, byte[] trustPem, byte[] at, out BytesHandle outReport);
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern uint dmp_feed_parse_response(byte[] contentType, byte[] body, UIntPtr len, out BytesHandle outJson);

        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern uint dmp_consult_build(IdentityHandle identity, byte[] requestJson, byte[] searchResponse, UIntPtr searchLen, byte[] now, ulong seed, out BytesHandle outMessage, out BytesHandle outInfo);
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern uint dmp_consult_parse_response(byte[] contentType, byte[] body, UIntPtr len, byte[] actorJson, out BytesHandle outJson);
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern uint dmp_retrieval_parse(byte[] contentType, byte[] body, UIntPtr len, out RetrievalHandle outRetrieval);
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern UIntPtr dmp_retrieval_count(RetrievalHandle retrieval);
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern uint dmp_retrieval_document(RetrievalHandle retrieval, UIntPtr index, out BytesHandle outDocument, out BytesHandle outInfo, out BytesHandle outN1);
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern void dmp_retrieval_free(IntPtr retrieval);
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern uint dmp_actor_profile_check(byte[] profileJson, out BytesHandle outJson);

        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern uint dmp_client_new(byte[] profileJson, byte[] profileDir, byte[] endpoint, out ClientHandle outClient);
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern void dmp_client_free(IntPtr client);
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern uint dmp_send(ClientHandle client, IdentityHandle identity, byte[] message, UIntPtr len, uint timeoutMs, out BytesHandle outResponse, out BytesHandle outOutcome);

        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern uint dmp_sandbox_start(byte[] dataDir, byte[] uiAddress, out SandboxHandle outSandbox);
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern IntPtr dmp_sandbox_base_url(SandboxHandle sandbox);
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern IntPtr dmp_sandbox_ui_url(SandboxHandle sandbox);
        [DllImport(Lib, CallingConvention = Cdecl)] internal static extern void dmp_sandbox_free(IntPtr sandbox);
    }
}
