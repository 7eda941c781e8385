package fr.dmp;

/** A request built by {@link Feed#build} or {@link Consult#build}: the HTTP message (header
 *  lines, a blank line, the body) to give {@link Client#send}, and what the library says of it
 *  ({@code {"path", "headers", "message_id", "now", "seed", …}}). */
public record Built(byte[] message, String infoJson) {}
