using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Dmp;

/// <summary>The shared test vectors (bindings/test-vectors.json) through the C# binding: the
/// same cases and assertions as the Python, Java, C and Rust runners. Run with the repository
/// root as argument; exits 1 when a case fails.</summary>
public static class Vectors
{
    private static string repo;

    public static int Main(string[] argv)
    {
        repo = Path.GetFullPath(argv.Length > 0 ? argv[0] : ".");
        var doc = (Dictionary<string, object>)Json.Parse(File.ReadAllText(Path.Combine(repo, "bindings/test-vectors.json"), Encoding.UTF8));
        int failed = 0, n = 0;
        foreach (Dictionary<string, object> kase in (List<object>)doc["cases"])
        {
            n++;
            string name = (string)kase["name"];
            try
            {
                RunCase(kase);
                Console.WriteLine("ok   " + name);
            }
            catch (Exception e)
            {
                failed++;
                Console.WriteLine("FAIL " + name + ": " + e.GetType().Name + ": " + e.Message);
            }
        }
        Console.WriteLine((n - failed) + " passed, " + failed + " failed (C#, dmp " + Library.Version + ")");
        return failed == 0 && n > 0 ? 0 : 1;
    }

    private sealed class CheckFailed : Exception
    {
        public CheckFailed(string m) : base(m) { }
    }

    internal static string Fnv1a64(byte[] data)
    {
        ulong h = 0xcbf29ce484222325UL;
        foreach (byte b in data)
        {
            h ^= b;
            h = unchecked(h * 0x100000001b3UL);
        }
        return h.ToString("x16");
    }

    private static string At(string p) { return Path.Combine(repo, p); }

    private static object Resolve(object v)
    {
        var l = v as List<object>;
        if (l != null) return l.Select(Resolve).ToList();
        var m = v as Dictionary<string, object>;
        if (m == null) return v;
        if (m.ContainsKey("$file"))
        {
            object o = Json.Parse(File.ReadAllText(At((string)m["$file"]), Encoding.UTF8));
            if (m.ContainsKey("$member")) o = ((Dictionary<string, object>)o)[(string)m["$member"]];
            if (m.ContainsKey("$merge"))
                foreach (var e in (Dictionary<string, object>)m["$merge"]) ((Dictionary<string, object>)o)[e.Key] = Resolve(e.Value);
            return o;
        }
        if (m.ContainsKey("$text")) return File.ReadAllText(At((string)m["$text"]), Encoding.UTF8).TrimEnd();
        if (m.ContainsKey("$bytes")) return File.ReadAllBytes(At((string)m["$bytes"]));
        if (m.ContainsKey("$base64")) return Convert.ToBase64String(File.ReadAllBytes(At((string)m["$base64"])));
        if (m.ContainsKey("$path")) return At((string)m["$path"]);
        var out_ = new Dictionary<string, object>();
        foreach (var e in m) out_[e.Key] = Resolve(e.Value);
        return out_;
    }

    private static Dictionary<string, object> Blob(byte[] b)
    {
        return new Dictionary<string, object> { { "length", (long)b.Length }, { "fnv1a64", Fnv1a64(b) } };
    }

    private static Dictionary<string, object> Tree(params object[] kv)
    {
        var m = new Dictionary<string, object>();
        for (int k = 0; k < kv.Length; k += 2) m[(string)kv[k]] = kv[k + 1];
        return m;
    }

    private static Identity Id(Dictionary<string, object> a)
    {
        return Identity.FromP12((byte[])a["p12"], (string)a["password"]);
    }

    private static Dictionary<string, object> Run(string call, Dictionary<string, object> a)
    {
        switch (call)
        {
            case "check_ins":
                return Tree("text", Library.CheckIns((string)a["matricule"], (string)a["oid"]));
            case "check_finess":
                return Tree("text", Library.CheckFiness((string)a["finess"]));
            case "matrix_decide":
                using (var m = new Matrix())
                    return Tree("json", Json.Parse(m.Decide(Json.Write(a["reader"]), (string)a["type_code"])));
            case "rights_decide":
                return Tree("json", Json.Parse(Library.RightsDecide((string)a["auth"], (string)a["actor"], (string)a["mode"], (string)a["transaction"])));
            case "staff_report":
                using (var m = new Matrix())
                    return Tree("json", Json.Parse(m.StaffReport(Json.Write(a["staff"]))));
            case "cda_round_trip":
            {
                var content = (byte[])a["content"];
                var media = (string)a["media_type"];
                var xml = Cda.Build(Json.Write(a["header"]), content, media);
                var read = Cda.Read(xml);
                var record = (Dictionary<string, object>)Json.Parse(read.RecordJson);
                var rebuilt = Cda.Build(Json.Write(record["model"]), read.Body, media);
                return Tree("xml", Blob(xml), "read", record, "body_equals_content", read.Body.SequenceEqual(content),
                    "rebuilt_equals_xml", rebuilt.SequenceEqual(xml));
            }
            case "identity_info":
                using (var me = Id(a))
                    return Tree("json", Json.Parse(me.Info()));
            case "feed_build_check":
            {
                Built built;
                var now = (string)a["now"];
                using (var me = Id(a))
                    built = Feed.Build(me, Json.Write(a["request"]), now, (ulong)(long)a["seed"]);
                var trust = string.Join("\n", ((List<object>)a["trust"]).Cast<string>());
                var check = Feed.Check(built.Message, trust, now);
                return Tree("message", Blob(built.Message), "info", Json.Parse(built.InfoJson), "check", Json.Parse(check));
            }
            case "consult_build":
                using (var me = Id(a))
                {
                    var built = Consult.Build(me, Json.Write(a["request"]), null, (string)a["now"], (ulong)(long)a["seed"]);
                    return Tree("message", Blob(built.Message), "info", Json.Parse(built.InfoJson));
                }
            case "sandbox_round_trip":
                return SandboxRoundTrip(a);
            default:
                throw new CheckFailed("unknown call " + call + " in test-vectors.json");
        }
    }

    private static Dictionary<string, object> SandboxRoundTrip(Dictionary<string, object> a)
    {
        var out_ = new Dictionary<string, object>();
        var tmp = Path.Combine(Path.GetTempPath(), "dmp-vectors-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(tmp);
        try
        {
            using (var me = Id(a))
            using (var sandbox = new Sandbox(Path.Combine(tmp, "dmp"), null))
            using (var client = new Client(Json.Write(a["actor"]), (string)a["profile_dir"], sandbox.BaseUrl))
            {
                byte[] message = null;
                foreach (Dictionary<string, object> step in (List<object>)a["requests"])
                {
                    var name = (string)step["name"];
                    if (name != "again")
                    {
                        var request = Json.Write(step["request"]);
                        message = (string)step["kind"] == "consult"
                            ? Consult.Build(me, request, null, null, 0).Message
                            : Feed.Build(me, request, null, 0).Message;
                    }
                    try
                    {
                        var sent = client.Send(message, me, (uint)(long)a["timeout_ms"]);
                        out_[name] = Tree("outcome", Json.Parse(sent.OutcomeJson));
                    }
                    catch (DmpException e)
                    {
                        out_[name] = Tree("error", e.Record);
                    }
                }
            }
        }
        finally
        {
            Directory.Delete(tmp, true);
        }
        return out_;
    }

    private static object Lookup(object tree, string path)
    {
        foreach (var seg in path.Split('.'))
        {
            var list = tree as IList;
            var map = tree as IDictionary<string, object>;
            if (seg == "#" && list != null) tree = (long)list.Count;
            else if (list != null) tree = list[int.Parse(seg)];
            else if (map != null && map.ContainsKey(seg)) tree = map[seg];
            else throw new CheckFailed("no " + seg + " in " + Json.Write(tree));
        }
        return tree;
    }

    private static void Check(object tree, Dictionary<string, object> expected, string what)
    {
        foreach (var e in expected)
        {
            var got = Lookup(tree, e.Key);
            var want = e.Value;
            var matcher = want as Dictionary<string, object>;
            bool ok = matcher != null && matcher.ContainsKey("$starts_with")
                ? got is string && ((string)got).StartsWith((string)matcher["$starts_with"], StringComparison.Ordinal)
                : Equals(want, got);
            if (!ok) throw new CheckFailed(what + " " + e.Key + ": got " + Json.Write(got) + ", expected " + Json.Write(want));
        }
    }

    private static void RunCase(Dictionary<string, object> kase)
    {
        var args = (Dictionary<string, object>)Resolve(kase["args"]);
        var expect = (Dictionary<string, object>)kase["expect"];
        var call = (string)kase["call"];
        if (expect.ContainsKey("ok"))
        {
            Check(Run(call, args), (Dictionary<string, object>)expect["ok"], "result");
            return;
        }
        try
        {
            Run(call, args);
        }
        catch (DmpException e)
        {
            Check(e.Record, (Dictionary<string, object>)expect["error"], "last error");
            return;
        }
        throw new CheckFailed("no error, expected " + Json.Write(expect["error"]));
    }
}
