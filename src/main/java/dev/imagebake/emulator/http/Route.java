package dev.imagebake.emulator.http;

/**
 * One part of the emulator's HTTP surface (token endpoint, cloud metadata, Resource Manager). The dispatcher asks
 * each route in turn; the first that accepts a request answers it.
 */
public interface Route {
    boolean accepts(Request request);

    Response handle(Request request) throws Exception;
}
