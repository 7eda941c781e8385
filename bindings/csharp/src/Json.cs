using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Dmp
{
    /// <summary>
    /// The JSON of libdmp's inputs and outputs, without a dependency: <see cref="Parse"/> gives
    /// <c>Dictionary&lt;string, object&gt;</c>, <c>List&lt;object&gt;</c>, <c>string</c>,
    /// <c>long</c> or <c>double</c>, <c>bool</c> or <c>null</c>; <see cref="Write"/> the reverse.
    /// The library's error records are read with it.
    /// </summary>
    public sealed class Json
    {
        private const int MaxDepth = 256;
        private readonly string s;
        private int i;

        private Json(string s) { this.s = s; }

        /// <summary>Parses a JSON text; <see cref="FormatException"/> (with the offset) when it is not one.</summary>
        public static object Parse(string text)
        {
            var p = new Json(text);
            p.Space();
            var v = p.Value(0);
            p.Space();
            if (p.i != text.Length) throw p.Error("text after the JSON value");
            return v;
        }

        /// <summary>Serializes dictionaries, lists, strings, numbers, booleans and null.</summary>
        public static string Write(object v)
        {
            var b = new StringBuilder();
            Write(b, v);
            return b.ToString();
        }

        private static void Write(StringBuilder b, object v)
        {
            if (v == null) b.Append("null");
            else if (v is string) Quote(b, (string)v);
            else if (v is bool) b.Append((bool)v ? "true" : "false");
            else if (v is long || v is int || v is ulong || v is uint) b.Append(Convert.ToString(v, CultureInfo.InvariantCulture));
            else if (v is double) b.Append(((double)v).ToString("R", CultureInfo.InvariantCulture));
            else if (v is IDictionary)
            {
                b.Append('{');
                bool first = true;
                foreach (DictionaryEntry e in (IDictionary)v)
                {
                    if (!first) b.Append(',');
                    first = false;
                    Quote(b, e.Key.ToString());
                    b.Append(':');
                    Write(b, e.Value);
                }
                b.Append('}');
            }
            else if (v is IList)
            {
                b.Append('[');
                bool first = true;
                foreach (var x in (IList)v)
                {
                    if (!first) b.Append(',');
                    first = false;
                    Write(b, x);
                }
                b.Append(']');
            }
            else throw new ArgumentException("cannot write a " + v.GetType().Name + " as JSON");
        }

        private static void Quote(StringBuilder b, string str)
        {
            b.Append('"');
            foreach (char c in str)
            {
                switch (c)
                {
                    case '"': b.Append("\\\""); break;
                    case '\\': b.Append("\\\\"); break;
                    case '\n': b.Append("\\n"); break;
                    case '\r': b.Append("\\r"); break;
                    case '\t': b.Append("\\t"); break;
                    default:
                        if (c < 0x20) b.Append("\\u").Append(((int)c).ToString("x4"));
                        else b.Append(c);
                        break;
                }
            }
            b.Append('"');
        }

        private FormatException Error(string what) { return new FormatException("invalid JSON at offset " + i + ": " + what); }

        private void Space() { while (i < s.Length && " \t\r\n".IndexOf(s[i]) >= 0) i++; }

        private bool Eat(string word)
        {
            if (string.CompareOrdinal(s, i, word, 0, word.Length) == 0) { i += word.Length; return true; }
            return false;
        }

        private object Value(int depth)
        {
            if (depth > MaxDepth) throw Error("nested too deeply");
            if (i >= s.Length) throw Error("unexpected end");
            char c = s[i];
            if (c == '{')
            {
                i++;
                var m = new Dictionary<string, object>();
                Space();
                if (Eat("}")) return m;
                while (true)
                {
                    Space();
                    if (i >= s.Length || s[i] != '"') throw Error("expected a member name");
                    string k = String();
                    Space();
                    if (!Eat(":")) throw Error("expected ':'");
                    Space();
                    if (m.ContainsKey(k)) throw Error("duplicate member " + k);
                    m[k] = Value(depth + 1);
                    Space();
                    if (Eat("}")) return m;
                    if (!Eat(",")) throw Error("expected ',' or '}'");
                }
            }
            if (c == '[')
            {
                i++;
                var l = new List<object>();
                Space();
                if (Eat("]")) return l;
                while (true)
                {
                    Space();
                    l.Add(Value(depth + 1));
                    Space();
                    if (Eat("]")) return l;
                    if (!Eat(",")) throw Error("expected ',' or ']'");
                }
            }
            if (c == '"') return String();
            if (Eat("true")) return true;
            if (Eat("false")) return false;
            if (Eat("null")) return null;
            return Number();
        }

        private object Number()
        {
            int start = i;
            bool integral = true;
            while (i < s.Length && "+-0123456789.eE".IndexOf(s[i]) >= 0)
            {
                integral &= char.IsDigit(s[i]) || s[i] == '-';
                i++;
            }
            string t = s.Substring(start, i - start);
            long l;
            double d;
            if (integral && long.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out l)) return l;
            if (t.Length > 0 && double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out d)) return d;
            i = start;
            throw Error("expected a value");
        }

        private string String()
        {
            i++; // the opening quote
            var b = new StringBuilder();
            while (true)
            {
                if (i >= s.Length) throw Error("unterminated string");
                char c = s[i++];
                if (c == '"') return b.ToString();
                if (c != '\\') { b.Append(c); continue; }
                if (i >= s.Length) throw Error("unterminated escape");
                char e = s[i++];
                switch (e)
                {
                    case '"': case '\\': case '/': b.Append(e); break;
                    case 'b': b.Append('\b'); break;
                    case 'f': b.Append('\f'); break;
                    case 'n': b.Append('\n'); break;
                    case 'r': b.Append('\r'); break;
                    case 't': b.Append('\t'); break;
                    case 'u':
                        int code;
                        if (i + 4 > s.Length || !int.TryParse(s.Substring(i, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out code))
                            throw Error("bad \\u escape");
                        b.Append((char)code);
                        i += 4;
                        break;
                    default: throw Error("bad escape \\" + e);
                }
            }
        }
    }
}
