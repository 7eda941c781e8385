using System;

namespace Dmp
{
    /// <summary>The documents of a TD3.2 answer. A fault or a Failure status throws
    /// <see cref="DmpRefusedException"/> (7000) with the DMP's codes and texts.</summary>
    public sealed class Retrieval : IDisposable
    {
        /// <summary>One document of the answer.</summary>
        public sealed class Document
        {
            /// <summary>Its bytes as stored (the CDA).</summary>
            public byte[] Bytes { get; internal set; }
            /// <summary><c>{"unique_id", "mime_type", "size", "n1", …}</c>.</summary>
            public string InfoJson { get; internal set; }
            /// <summary>The N1 body of a CDA (the PDF…), or null.</summary>
            public byte[] N1Body { get; internal set; }
        }

        private readonly RetrievalHandle handle;

        /// <summary><paramref name="contentType"/> null: <paramref name="body"/> is the whole HTTP response of <see cref="Client.Send"/>.</summary>
        public Retrieval(string contentType, byte[] body)
        {
            if (body == null) throw new ArgumentNullException("body");
            Ffi.Check(Native.dmp_retrieval_parse(Ffi.C(contentType, "content_type"), body, Ffi.Len(body), out handle));
        }

        /// <summary>The number of documents.</summary>
        public int Count { get { return checked((int)Native.dmp_retrieval_count(handle).ToUInt64()); } }

        /// <summary>Document <paramref name="index"/> (0 ≤ index &lt; <see cref="Count"/>).</summary>
        public Document Get(int index)
        {
            int n = Count;
            if (index < 0 || index >= n)
                throw new ArgumentOutOfRangeException("index", "document index " + index + " out of range (" + n + " document(s))");
            BytesHandle doc, info, n1;
            Ffi.Check(Native.dmp_retrieval_document(handle, new UIntPtr((ulong)index), out doc, out info, out n1));
            return new Document { Bytes = Ffi.Take(doc), InfoJson = Ffi.TakeText(info), N1Body = Ffi.Take(n1) };
        }

        /// <summary>Releases the answer (idempotent).</summary>
        public void Dispose() { handle.Dispose(); }
    }
}
