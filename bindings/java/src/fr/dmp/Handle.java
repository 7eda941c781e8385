package fr.dmp;

import com.sun.jna.Pointer;
import java.util.function.Consumer;

/** An owned libdmp handle, released once by {@link #close()} (idempotent). Handles are
 *  immutable in the library, so one may be used by several threads until it is closed. */
abstract class Handle implements AutoCloseable {
    private Pointer pointer;
    private final Consumer<Pointer> free;
    private final String what;

    Handle(Pointer pointer, Consumer<Pointer> free, String what) {
        this.pointer = pointer;
        this.free = free;
        this.what = what;
    }

    /** The live pointer; {@link IllegalStateException} once closed. */
    synchronized Pointer live() {
        if (pointer == null) {
            throw new IllegalStateException("the " + what + " is closed");
        }
        return pointer;
    }

    @Override
    public synchronized void close() {
        Pointer p = pointer;
        pointer = null;
        if (p != null) {
            free.accept(p);
        }
    }
}
