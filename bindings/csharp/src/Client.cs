using System;

namespace Dmp
{
    /// <summary>A client of the DMP for one actor: its profile's "transport" (TLS client
    /// certificate, server roots, timeouts, retries). Unusable settings throw
    /// <see cref="DmpTransportException"/> (6000, <see cref="DmpException.Field"/>). Connections
    /// are kept; one client may be used by several threads.</summary>
    public sealed class Client : IDisposable
    {
        /// <summary>What <see cref="Send"/> gives.</summary>
        public sealed class Sent
        {
            /// <summary>The DMP's HTTP response (status line, headers, blank line, body).</summary>
            public byte[] Response { get; internal set; }
            /// <summary><c>{"outcome": "accepted", "attempts", "confirmed_by_check", "http_status", "response"}</c>.</summary>
            public string OutcomeJson { get; internal set; }
        }

        private readonly ClientHandle handle;

        /// <summary><paramref name="profileDir"/>: what relative paths of the profile are relative
        /// to (null: the current directory); <paramref name="endpoint"/>: a base URL instead of the
        /// profile's (null: the profile's).</summary>
        public Client(string profileJson, string profileDir, string endpoint)
        {
            Ffi.Check(Native.dmp_client_new(Ffi.C(profileJson, "profile"), Ffi.C(profileDir, "profile_dir"),
                Ffi.C(endpoint, "endpoint"), out handle));
        }

        /// <summary>Sends a built request and waits (<paramref name="timeoutMs"/> 0: the profile's).
        /// <paramref name="identity"/> (may be null) signs the search that tells whether a
        /// TD2.1/TD3.3 whose answer was lost was applied. Refused: <see cref="DmpRefusedException"/>;
        /// not sent (6001) or outcome unknown (6002: search before sending again): <see cref="DmpTransportException"/>.</summary>
        public Sent Send(byte[] message, Identity identity, uint timeoutMs)
        {
            if (message == null) throw new ArgumentNullException("message");
            BytesHandle resp, outcome;
            Ffi.Check(Native.dmp_send(handle, identity == null ? IdentityHandle.Null : identity.Handle, message,
                Ffi.Len(message), timeoutMs, out resp, out outcome));
            return new Sent { Response = Ffi.Take(resp), OutcomeJson = Ffi.TakeText(outcome) };
        }

        /// <summary>Closes the connections and releases the client (idempotent).</summary>
        public void Dispose() { handle.Dispose(); }
    }
}
