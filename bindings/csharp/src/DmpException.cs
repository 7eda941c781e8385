using System;
using System.Collections.Generic;

namespace Dmp
{
    /// <summary>
    /// An error reported by libdmp: its <see cref="Code"/> (stable, in bands of a thousand), its
    /// <see cref="Name"/> ("DMP_ERR_INVALID"…), a message for people, and when they apply the
    /// <see cref="Argument"/> at fault, the <see cref="Field"/>, <see cref="Rule"/> and
    /// <see cref="Value"/> of a broken model rule, the JSON <see cref="Path"/> of an input and
    /// the DMP's own refusal (<see cref="DmpError"/>, verbatim). One subclass per band.
    /// </summary>
    public class DmpException : Exception
    {
        /// <summary>The result code (2001…).</summary>
        public uint Code { get; private set; }
        /// <summary>The whole last-error record, as JSON.</summary>
        public string RecordJson { get; private set; }
        /// <summary>The whole last-error record, parsed (<see cref="Json"/>).</summary>
        public IDictionary<string, object> Record { get; private set; }

        internal DmpException(uint code, IDictionary<string, object> record, string json)
            : base(Text(record, "name") + " (" + code + "): " + Text(record, "message"))
        {
            Code = code;
            Record = record;
            RecordJson = json;
        }

        internal static DmpException Of(uint code, IDictionary<string, object> r, string j)
        {
            switch (code / 1000)
            {
                case 1: return new DmpArgumentException(code, r, j);
                case 2: return new DmpModelException(code, r, j);
                case 3: return new DmpHabilitationException(code, r, j);
                case 4: return new DmpKeyException(code, r, j);
                case 5: return new DmpXmlException(code, r, j);
                case 6: return new DmpTransportException(code, r, j);
                case 7: return new DmpRefusedException(code, r, j);
                default: return new DmpException(code, r, j);
            }
        }

        private static string Text(IDictionary<string, object> record, string member)
        {
            object v;
            return record != null && record.TryGetValue(member, out v) && v != null ? v.ToString() : null;
        }

        /// <summary>The code's name ("DMP_ERR_INVALID"…).</summary>
        public string Name { get { return Text(Record, "name"); } }
        /// <summary>The C argument at fault (1xxx, and JSON errors: "header_json"…), or null.</summary>
        public string Argument { get { return Text(Record, "argument"); } }
        /// <summary>The field of a broken rule ("finess", "consent"…), or null.</summary>
        public string Field { get { return Text(Record, "field"); } }
        /// <summary>The rule broken, or null.</summary>
        public string Rule { get { return Text(Record, "rule"); } }
        /// <summary>The value refused, or null.</summary>
        public string Value { get { return Text(Record, "value"); } }
        /// <summary>Where in a JSON input ("staff[1].idnat"), or null.</summary>
        public string Path { get { return Text(Record, "path"); } }
        /// <summary>The DMP's refusal as JSON (<c>{"source", "code", "details": [{"code", "text"}]}</c>), or null.</summary>
        public string DmpError
        {
            get { object v; return Record.TryGetValue("dmp_error", out v) && v != null ? Json.Write(v) : null; }
        }
    }

    /// <summary>1xxx: NULL or non-UTF-8 argument, buffer too small, a caught panic.</summary>
    public class DmpArgumentException : DmpException
    {
        internal DmpArgumentException(uint c, IDictionary<string, object> r, string j) : base(c, r, j) { }
    }

    /// <summary>2xxx: JSON input or model validation (field, rule, value, JSON path).</summary>
    public class DmpModelException : DmpException
    {
        internal DmpModelException(uint c, IDictionary<string, object> r, string j) : base(c, r, j) { }
    }

    /// <summary>3xxx: habilitation or functional-rights refusal (reserved).</summary>
    public class DmpHabilitationException : DmpException
    {
        internal DmpHabilitationException(uint c, IDictionary<string, object> r, string j) : base(c, r, j) { }
    }

    /// <summary>4xxx: key, certificate, PKCS#12 (<c>Record["what"]</c>: password, usage…).</summary>
    public class DmpKeyException : DmpException
    {
        internal DmpKeyException(uint c, IDictionary<string, object> r, string j) : base(c, r, j) { }
    }

    /// <summary>5xxx: XML or signature.</summary>
    public class DmpXmlException : DmpException
    {
        internal DmpXmlException(uint c, IDictionary<string, object> r, string j) : base(c, r, j) { }
    }

    /// <summary>6xxx: transport settings (6000), not sent (6001: may be sent again), outcome
    /// unknown (6002: search the DMP before sending again), sandbox (6003).</summary>
    public class DmpTransportException : DmpException
    {
        internal DmpTransportException(uint c, IDictionary<string, object> r, string j) : base(c, r, j) { }
    }

    /// <summary>7xxx: the DMP refused where a result was needed; its codes and texts in <see cref="DmpException.DmpError"/>.</summary>
    public class DmpRefusedException : DmpException
    {
        internal DmpRefusedException(uint c, IDictionary<string, object> r, string j) : base(c, r, j) { }
    }
}
