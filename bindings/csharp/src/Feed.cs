using System;

namespace Dmp
{
    /// <summary>A request built by <see cref="Feed.Build"/> or <see cref="Consult.Build"/>.</summary>
    public sealed class Built
    {
        /// <summary>The HTTP message (header lines, a blank line, the body) to give <see cref="Client.Send"/>.</summary>
        public byte[] Message { get; internal set; }
        /// <summary><c>{"path", "headers", "message_id", "now", "seed", …}</c>.</summary>
        public string InfoJson { get; internal set; }
    }

    /// <summary>TD2.1: feeding documents to the DMP.</summary>
    public static class Feed
    {
        /// <summary>Builds a signed TD2.1 request; <paramref name="now"/> RFC 3339 (null: now),
        /// <paramref name="seed"/> 0: random. The same request, time, key and seed give the same bytes.</summary>
        public static Built Build(Identity identity, string requestJson, string now, ulong seed)
        {
            if (identity == null) throw new ArgumentNullException("identity");
            BytesHandle msg, info;
            Ffi.Check(Native.dmp_feed_build(identity.Handle, Ffi.C(requestJson, "request"), Ffi.C(now, "now"), seed, out msg, out info));
            return new Built { Message = Ffi.Take(msg), InfoJson = Ffi.TakeText(info) };
        }

        /// <summary>Verifies a built TD2.1 (signatures, chains to <paramref name="trustPem"/>,
        /// metadata against the CDA) at <paramref name="at"/> (null: now): <c>{"ok", "signatures",
        /// "documents", "problems", "text"}</c>; a request that does not check is "ok": false.</summary>
        public static string Check(byte[] message, string trustPem, string at)
        {
            if (message == null) throw new ArgumentNullException("message");
            BytesHandle o;
            Ffi.Check(Native.dmp_feed_check(message, Ffi.Len(message), Ffi.C(trustPem, "trust_pem"), Ffi.C(at, "at"), out o));
            return Ffi.TakeText(o);
        }

        /// <summary>Reads the DMP's answer to a TD2.1: <c>{"outcome": "success"|"failure"|"fault", …}</c>.</summary>
        public static string ParseResponse(string contentType, byte[] body)
        {
            if (body == null) throw new ArgumentNullException("body");
            BytesHandle o;
            Ffi.Check(Native.dmp_feed_parse_response(Ffi.C(contentType, "content_type"), body, Ffi.Len(body), out o));
            return Ffi.TakeText(o);
        }
    }
}
