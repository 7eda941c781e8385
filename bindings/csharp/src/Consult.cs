using System;

namespace Dmp
{
    /// <summary>Consultation and management: TD0.2, TD0.3, TD0.4, TD3.1, TD3.2, TD3.3.</summary>
    public static class Consult
    {
        /// <summary>Builds a request (<c>{"actor", "consent", "transaction": {"kind", …}}</c>);
        /// <paramref name="searchResponse"/>: for the metadata updates, a TD3.1 answer holding the
        /// document (else null). A missing consent or a refused transaction: <see cref="DmpModelException"/>.</summary>
        public static Built Build(Identity identity, string requestJson, byte[] searchResponse, string now, ulong seed)
        {
            if (identity == null) throw new ArgumentNullException("identity");
            BytesHandle msg, info;
            Ffi.Check(Native.dmp_consult_build(identity.Handle, Ffi.C(requestJson, "request"), searchResponse,
                Ffi.Len(searchResponse), Ffi.C(now, "now"), seed, out msg, out info));
            return new Built { Message = Ffi.Take(msg), InfoJson = Ffi.TakeText(info) };
        }

        /// <summary>Reads the DMP's answer to any transaction (<paramref name="contentType"/> null:
        /// <paramref name="body"/> is the whole HTTP response of <see cref="Client.Send"/>); a
        /// refusal is data ("error").</summary>
        public static string ParseResponse(string contentType, byte[] body, string actorProfileJson)
        {
            if (body == null) throw new ArgumentNullException("body");
            BytesHandle o;
            Ffi.Check(Native.dmp_consult_parse_response(Ffi.C(contentType, "content_type"), body, Ffi.Len(body),
                Ffi.C(actorProfileJson, "actor"), out o));
            return Ffi.TakeText(o);
        }
    }
}
