using System;

namespace Dmp
{
    /// <summary>CDA R2 N1 documents: the file an ESSMS sends (a PDF…) under a structured header.</summary>
    public static class Cda
    {
        /// <summary>What <see cref="Read"/> finds.</summary>
        public sealed class Content
        {
            /// <summary><c>{"header", "content", "model", "model_error"}</c>.</summary>
            public string RecordJson { get; internal set; }
            /// <summary>The N1 file (null when absent).</summary>
            public byte[] Body { get; internal set; }
        }

        /// <summary>Builds a CDA (the exact bytes to send) from its header and the file to embed.</summary>
        public static byte[] Build(string headerJson, byte[] content, string mediaType)
        {
            if (content == null) throw new ArgumentNullException("content");
            BytesHandle o;
            Ffi.Check(Native.dmp_cda_build(Ffi.C(headerJson, "header"), content, Ffi.Len(content), Ffi.C(mediaType, "media_type"), out o));
            return Ffi.Take(o);
        }

        /// <summary>Reads a CDA: its header record and its N1 file.</summary>
        public static Content Read(byte[] xml)
        {
            if (xml == null) throw new ArgumentNullException("xml");
            BytesHandle h, body;
            Ffi.Check(Native.dmp_cda_read(xml, Ffi.Len(xml), out h, out body));
            return new Content { RecordJson = Ffi.TakeText(h), Body = Ffi.Take(body) };
        }
    }
}
