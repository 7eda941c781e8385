package fr.dmp;

import static fr.dmp.Ffi.LIB;
import static fr.dmp.Ffi.c;
import static fr.dmp.Ffi.check;
import static fr.dmp.Ffi.len;
import static fr.dmp.Ffi.take;
import static fr.dmp.Ffi.takeText;

import com.sun.jna.ptr.PointerByReference;

/** The documents of a TD3.2 answer. A fault or a Failure status raises
 *  {@link DmpException.DmpRefused} (7000) with the DMP's codes and texts. */
public final class Retrieval extends Handle {
    /** One document: its bytes as stored, {@code {"unique_id", "mime_type", "size", "n1", …}},
     *  and the N1 body of a CDA (null when none). */
    public record Document(byte[] bytes, String infoJson, byte[] n1Body) {}

    /** {@code contentType} null: {@code body} is the whole HTTP response of {@link Client#send}. */
    public Retrieval(String contentType, byte[] body) {
        super(parse(contentType, body), LIB::dmp_retrieval_free, "retrieval");
    }

    private static com.sun.jna.Pointer parse(String contentType, byte[] body) {
        PointerByReference o = new PointerByReference();
        check(LIB.dmp_retrieval_parse(c(contentType, "content_type"), body, len(body), o));
        return o.getValue();
    }

    /** The number of documents. */
    public int count() {
        return (int) LIB.dmp_retrieval_count(live()).longValue();
    }

    /** Document {@code index} (0 ≤ index &lt; {@link #count()}). */
    public Document document(int index) {
        if (index < 0 || index >= count()) {
            throw new IndexOutOfBoundsException("document index " + index + " out of range (" + count() + " document(s))");
        }
        PointerByReference doc = new PointerByReference();
        PointerByReference info = new PointerByReference();
        PointerByReference n1 = new PointerByReference();
        check(LIB.dmp_retrieval_document(live(), new NativeLib.SizeT(index), doc, info, n1));
        return new Document(take(doc), takeText(info), take(n1));
    }
}
