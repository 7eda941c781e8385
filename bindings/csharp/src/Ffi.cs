using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Text;

namespace Dmp
{
    /// <summary>What every call needs: strings in, bytes out, error codes turned into exceptions.</summary>
    internal static class Ffi
    {
        /// <summary>A string as NUL-terminated UTF-8 (null stays null: an optional C argument).</summary>
        internal static byte[] C(string s, string what)
        {
            if (s == null) return null;
            if (s.IndexOf('\0') >= 0) throw new ArgumentException(what + " must not contain NUL characters", what);
            var b = Encoding.UTF8.GetBytes(s);
            var out_ = new byte[b.Length + 1];
            Buffer.BlockCopy(b, 0, out_, 0, b.Length);
            return out_;
        }

        internal static UIntPtr Len(byte[] b) { return new UIntPtr((ulong)(b == null ? 0 : b.Length)); }

        /// <summary>Throws the exception of the band of <paramref name="rc"/> with this thread's last-error record.</summary>
        internal static void Check(uint rc)
        {
            if (rc == 0) return;
            string json = LastErrorJson();
            Dictionary<string, object> record = null;
            if (json != null)
            {
                var parsed = Json.Parse(json) as Dictionary<string, object>;
                object code;
                if (parsed != null && parsed.TryGetValue("code", out code) && code is long && (long)code == rc) record = parsed;
            }
            if (record == null) // should not happen: the record is per thread
            {
                string name = CString(Native.dmp_result_name(rc));
                record = new Dictionary<string, object> { { "code", (long)rc }, { "name", name }, { "message", name } };
                json = Json.Write(record);
            }
            throw DmpException.Of(rc, record, json);
        }

        private static string LastErrorJson()
        {
            UIntPtr n;
            Native.dmp_last_error_json(null, UIntPtr.Zero, out n);
            var buf = new byte[(int)n.ToUInt64() + 1];
            if (Native.dmp_last_error_json(buf, new UIntPtr((ulong)buf.Length), out n) != 0) return null;
            return Encoding.UTF8.GetString(buf, 0, (int)n.ToUInt64());
        }

        /// <summary>Copies and frees a dmp_bytes (null for NULL).</summary>
        internal static byte[] Take(BytesHandle h)
        {
            if (h == null || h.IsInvalid) return null;
            using (h)
            {
                int n = checked((int)Native.dmp_bytes_len(h).ToUInt64());
                var data = new byte[n];
                if (n > 0) Marshal.Copy(Native.dmp_bytes_data(h), data, 0, n);
                return data;
            }
        }

        internal static string TakeText(BytesHandle h)
        {
            var b = Take(h);
            return b == null ? null : Encoding.UTF8.GetString(b);
        }

        /// <summary>A NUL-terminated UTF-8 string owned by the library (null for NULL).</summary>
        internal static string CString(IntPtr p)
        {
            if (p == IntPtr.Zero) return null;
            int n = 0;
            while (Marshal.ReadByte(p, n) != 0) n++;
            var b = new byte[n];
            Marshal.Copy(p, b, 0, n);
            return Encoding.UTF8.GetString(b);
        }
    }
}
