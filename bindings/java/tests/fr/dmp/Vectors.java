package fr.dmp;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The shared test vectors (bindings/test-vectors.json) through the Java binding: the same
 *  cases and assertions as the Python, C#, C and Rust runners. Run with the repository root as
 *  argument; exits 1 when a case fails. */
public final class Vectors {
    private final Path repo;

    private Vectors(Path repo) {
        this.repo = repo;
    }

    public static void main(String[] argv) throws IOException {
        Path repo = Path.of(argv.length > 0 ? argv[0] : ".").toAbsolutePath();
        Vectors v = new Vectors(repo);
        Object cases = Json.object(Json.parse(Files.readString(repo.resolve("bindings/test-vectors.json")))).get("cases");
        int failed = 0;
        int n = 0;
        for (Object c : (List<?>) cases) {
            Map<String, Object> kase = Json.object(c);
            n++;
            String name = (String) kase.get("name");
            try {
                v.runCase(kase);
                System.out.println("ok   " + name);
            } catch (Exception | AssertionError e) {
                failed++;
                System.out.println("FAIL " + name + ": " + e);
            }
        }
        System.out.println((n - failed) + " passed, " + failed + " failed (Java, dmp " + Dmp.version() + ")");
        System.exit(failed == 0 && n > 0 ? 0 : 1);
    }

    static String fnv1a64(byte[] data) {
        long h = 0xcbf29ce484222325L;
        for (byte b : data) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        return String.format("%016x", h);
    }

    private Object resolve(Object v) throws IOException {
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>();
            for (Object x : l) {
                out.add(resolve(x));
            }
            return out;
        }
        if (!(v instanceof Map<?, ?>)) {
            return v;
        }
        Map<String, Object> m = Json.object(v);
        if (m.containsKey("$file")) {
            Object out = Json.parse(Files.readString(repo.resolve((String) m.get("$file"))));
            if (m.containsKey("$member")) {
                out = Json.object(out).get((String) m.get("$member"));
            }
            if (m.containsKey("$merge")) {
                for (Map.Entry<String, Object> e : Json.object(m.get("$merge")).entrySet()) {
                    Json.object(out).put(e.getKey(), resolve(e.getValue()));
                }
            }
            return out;
        }
        if (m.containsKey("$text")) {
            return Files.readString(repo.resolve((String) m.get("$text"))).stripTrailing();
        }
        if (m.containsKey("$bytes")) {
            return Files.readAllBytes(repo.resolve((String) m.get("$bytes")));
        }
        if (m.containsKey("$base64")) {
            return Base64.getEncoder().encodeToString(Files.readAllBytes(repo.resolve((String) m.get("$base64"))));
        }
        if (m.containsKey("$path")) {
            return repo.resolve((String) m.get("$path")).toString();
        }
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : m.entrySet()) {
            out.put(e.getKey(), resolve(e.getValue()));
        }
        return out;
    }

    private static Map<String, Object> blob(byte[] b) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("length", (long) b.length);
        m.put("fnv1a64", fnv1a64(b));
        return m;
    }

    private static Map<String, Object> tree(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int k = 0; k < kv.length; k += 2) {
            m.put((String) kv[k], kv[k + 1]);
        }
        return m;
    }

    private Map<String, Object> run(String call, Map<String, Object> a) throws IOException {
        switch (call) {
            case "check_ins":
                return tree("text", Dmp.checkIns((String) a.get("matricule"), (String) a.get("oid")));
            case "check_finess":
                return tree("text", Dmp.checkFiness((String) a.get("finess")));
            case "matrix_decide":
                try (Matrix m = new Matrix()) {
                    return tree("json", Json.parse(m.decide(Json.write(a.get("reader")), (String) a.get("type_code"))));
                }
            case "rights_decide":
                return tree("json", Json.parse(Dmp.rightsDecide((String) a.get("auth"), (String) a.get("actor"),
                        (String) a.get("mode"), (String) a.get("transaction"))));
            case "staff_report":
                try (Matrix m = new Matrix()) {
                    return tree("json", Json.parse(m.staffReport(Json.write(a.get("staff")))));
                }
            case "cda_round_trip": {
                byte[] content = (byte[]) a.get("content");
                String media = (String) a.get("media_type");
                byte[] xml = Cda.build(Json.write(a.get("header")), content, media);
                Cda.Read read = Cda.read(xml);
                Map<String, Object> record = Json.object(Json.parse(read.recordJson()));
                byte[] rebuilt = Cda.build(Json.write(record.get("model")), read.body(), media);
                return tree("xml", blob(xml), "read", record, "body_equals_content", Arrays.equals(read.body(), content),
                        "rebuilt_equals_xml", Arrays.equals(rebuilt, xml));
            }
            case "identity_info":
                try (Identity me = identity(a)) {
                    return tree("json", Json.parse(me.info()));
                }
            case "feed_build_check": {
                Built built;
                String now = (String) a.get("now");
                try (Identity me = identity(a)) {
                    built = Feed.build(me, Json.write(a.get("request")), now, (Long) a.get("seed"));
                }
                List<String> trust = new ArrayList<>();
                for (Object t : (List<?>) a.get("trust")) {
                    trust.add((String) t);
                }
                String check = Feed.check(built.message(), String.join("\n", trust), now);
                return tree("message", blob(built.message()), "info", Json.parse(built.infoJson()), "check", Json.parse(check));
            }
            case "consult_build":
                try (Identity me = identity(a)) {
                    Built built = Consult.build(me, Json.write(a.get("request")), null, (String) a.get("now"), (Long) a.get("seed"));
                    return tree("message", blob(built.message()), "info", Json.parse(built.infoJson()));
                }
            case "sandbox_round_trip":
                return sandbox(a);
            default:
                throw new AssertionError("unknown call " + call + " in test-vectors.json");
        }
    }

    private static Identity identity(Map<String, Object> a) {
        return Identity.fromP12((byte[]) a.get("p12"), (String) a.get("password"));
    }

    private Map<String, Object> sandbox(Map<String, Object> a) throws IOException {
        Map<String, Object> out = new LinkedHashMap<>();
        Path tmp = Files.createTempDirectory("dmp-vectors");
        try (Identity me = identity(a);
                Sandbox sandbox = new Sandbox(tmp.resolve("dmp").toString(), null);
                Client client = new Client(Json.write(a.get("actor")), (String) a.get("profile_dir"), sandbox.baseUrl())) {
            byte[] message = null;
            for (Object s : (List<?>) a.get("requests")) {
                Map<String, Object> step = Json.object(s);
                String name = (String) step.get("name");
                if (!name.equals("again")) {
                    String request = Json.write(step.get("request"));
                    message = "consult".equals(step.get("kind"))
                            ? Consult.build(me, request, null, null, 0).message()
                            : Feed.build(me, request, null, 0).message();
                }
                try {
                    Client.Sent sent = client.send(message, me, (int) (long) (Long) a.get("timeout_ms"));
                    out.put(name, tree("outcome", Json.parse(sent.outcomeJson())));
                } catch (DmpException e) {
                    out.put(name, tree("error", e.record()));
                }
            }
        } finally {
            try (var walk = Files.walk(tmp)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        return out;
    }

    private static Object lookup(Object tree, String path) {
        for (String seg : path.split("\\.")) {
            if (seg.equals("#")) {
                tree = (long) ((List<?>) tree).size();
            } else if (tree instanceof List<?> l) {
                tree = l.get(Integer.parseInt(seg));
            } else if (tree instanceof Map<?, ?> m && m.containsKey(seg)) {
                tree = m.get(seg);
            } else {
                throw new AssertionError("no " + seg + " in " + Json.write(tree));
            }
        }
        return tree;
    }

    private static void check(Object tree, Map<String, Object> expected, String what) {
        for (Map.Entry<String, Object> e : expected.entrySet()) {
            Object got = lookup(tree, e.getKey());
            Object want = e.getValue();
            boolean ok;
            if (want instanceof Map<?, ?> m && m.containsKey("$starts_with")) {
                ok = got instanceof String s && s.startsWith((String) m.get("$starts_with"));
            } else {
                ok = want == null ? got == null : want.equals(got);
            }
            if (!ok) {
                throw new AssertionError(what + " " + e.getKey() + ": got " + Json.write(got) + ", expected " + Json.write(want));
            }
        }
    }

    private void runCase(Map<String, Object> kase) throws IOException {
        Map<String, Object> args = Json.object(resolve(kase.get("args")));
        Map<String, Object> expect = Json.object(kase.get("expect"));
        String call = (String) kase.get("call");
        if (expect.containsKey("ok")) {
            check(run(call, args), Json.object(expect.get("ok")), "result");
            return;
        }
        try {
            run(call, args);
        } catch (DmpException e) {
            check(e.record(), Json.object(expect.get("error")), "last error");
            return;
        }
        throw new AssertionError("no error, expected " + Json.write(expect.get("error")));
    }
}
