package dev.imagebake.builder.azure;

import com.azure.core.exception.HttpResponseException;
import com.azure.json.JsonProviders;
import com.azure.json.JsonReader;
import com.azure.json.JsonToken;
import com.azure.resourcemanager.compute.fluent.models.ImageInner;
import com.azure.resourcemanager.compute.fluent.models.VirtualMachineInner;
import com.azure.resourcemanager.compute.fluent.models.VirtualMachineScaleSetInner;
import com.azure.resourcemanager.compute.models.VirtualMachineScaleSetListResult;
import com.azure.resourcemanager.compute.models.VirtualMachineScaleSetVMListResult;
import com.azure.resourcemanager.compute.fluent.models.VirtualMachineScaleSetVMInner;
import com.azure.resourcemanager.network.fluent.models.NetworkInterfaceInner;
import com.azure.resourcemanager.network.models.NetworkInterfaceListResult;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

/**
 * A reply the Azure SDK could not read ("Deserialization Failed."), worded so that a person can act on it: which JSON
 * field of the reply holds what, where the API has another type. The SDK's own exception says neither; this reads the
 * body again with the SDK's model for the request's path, through a {@link JsonReader} that keeps track of where it
 * is, and reports the path at which the model gave up.
 */
final class UnreadableReply {
    /** Request path shapes (lower case, '*' one segment) → the model the SDK reads their reply with. */
    private static final List<Shape> SHAPES = List.of(
            new Shape("*/virtualmachinescalesets/*", VirtualMachineScaleSetInner.class),
            new Shape("*/virtualmachinescalesets", VirtualMachineScaleSetListResult.class),
            new Shape("*/virtualmachinescalesets/*/virtualmachines/*", VirtualMachineScaleSetVMInner.class),
            new Shape("*/virtualmachinescalesets/*/virtualmachines", VirtualMachineScaleSetVMListResult.class),
            new Shape("*/networkinterfaces/*", NetworkInterfaceInner.class),
            new Shape("*/networkinterfaces", NetworkInterfaceListResult.class),
            new Shape("*/virtualmachines/*", VirtualMachineInner.class),
            new Shape("*/images/*", ImageInner.class));

    private record Shape(String glob, Class<?> model) {
        boolean fits(String path) {
            String[] want = glob.split("/");
            String[] have = path.toLowerCase(Locale.ROOT).replaceAll("^/+|/+$", "").split("/");
            if (have.length < want.length - 1) {
                return false;
            }
            // The leading '*' stands for everything before the tail the shape names.
            for (int i = want.length - 1, j = have.length - 1; i >= 1; i--, j--) {
                if (j < 0 || !want[i].equals("*") && !want[i].equals(have[j])) {
                    return false;
                }
            }
            return true;
        }
    }

    private UnreadableReply() {
    }

    static boolean is(Throwable failure) {
        return failure instanceof HttpResponseException e && !(failure instanceof
                com.azure.core.management.exception.ManagementException)
                && String.valueOf(e.getMessage()).startsWith("Deserialization Failed");
    }

    /** {@code the reply could not be read: field F is the string "x", where the API has a boolean}. */
    static String describe(HttpResponseException failure) {
        String reason = reason(failure);
        String field = null;
        String body = body(failure);
        String path = failure.getResponse() == null || failure.getResponse().getRequest() == null ? null
                : failure.getResponse().getRequest().getUrl().getPath();
        Class<?> model = path == null ? null : SHAPES.stream().filter(s -> s.fits(path)).map(Shape::model)
                .findFirst().orElse(null);
        if (body != null && model != null) {
            field = fieldAtFault(body, model);
        }
        StringBuilder text = new StringBuilder("Azure's reply could not be read");
        if (field != null) {
            text.append(": field ").append(field);
        }
        text.append(" (").append(reason).append(')');
        return text.toString();
    }

    private static String reason(HttpResponseException failure) {
        Throwable cause = failure.getCause() == null ? failure : failure.getCause();
        while (cause.getCause() != null && cause.getCause() != cause && cause.getMessage() == null) {
            cause = cause.getCause();
        }
        String message = cause.getMessage() == null ? "no reason given" : cause.getMessage().lines().findFirst()
                .orElse("");
        return dev.imagebake.util.IoErrors.stripClassNames(message);
    }

    private static String body(HttpResponseException failure) {
        try {
            if (failure.getResponse() == null) {
                return null;
            }
            var data = failure.getResponse().getBodyAsBinaryData();
            return data == null ? null : new String(data.toBytes(), StandardCharsets.UTF_8);
        } catch (RuntimeException e) {
            return null; // the body was not kept: the reason alone is told
        }
    }

    /**
     * Reads {@code body} with {@code model}'s {@code fromJson} and returns where it stopped ("path (the string
     * \"x\")"), or null when the model reads it after all.
     */
    static String fieldAtFault(String body, Class<?> model) {
        Method fromJson;
        try {
            fromJson = model.getMethod("fromJson", JsonReader.class);
        } catch (NoSuchMethodException e) {
            return null;
        }
        try (JsonReader plain = JsonProviders.createReader(body)) {
            PathTrackingReader reader = new PathTrackingReader(plain, new ArrayDeque<>());
            try {
                fromJson.invoke(null, reader);
                return null;
            } catch (InvocationTargetException e) {
                return reader.describeHere();
            } catch (IllegalAccessException e) {
                return null;
            }
        } catch (IOException e) {
            return null;
        }
    }

    /** A JSON reader that knows the path of the token it is on ({@code a.b[2].c}). */
    private static final class PathTrackingReader extends JsonReader {
        private final JsonReader reader;
        /** One frame per open object or array: the field (object) or the index (array) being read. */
        private final Deque<Object[]> frames;

        PathTrackingReader(JsonReader reader, Deque<Object[]> frames) {
            this.reader = reader;
            this.frames = frames;
        }

        String describeHere() {
            StringBuilder path = new StringBuilder();
            Iterator<Object[]> outermostFirst = frames.descendingIterator();
            while (outermostFirst.hasNext()) {
                Object[] frame = outermostFirst.next();
                if (frame[0] == Boolean.TRUE) {
                    path.append('[').append(frame[1]).append(']');
                } else if (frame[1] != null) {
                    path.append(path.isEmpty() ? "" : ".").append(frame[1]);
                }
            }
            String where = path.isEmpty() ? "(the whole reply)" : path.toString();
            JsonToken token = reader.currentToken();
            try {
                String value = switch (token) {
                    case STRING -> "the string \"" + reader.getString() + "\"";
                    case NUMBER -> "the number " + reader.getRawText();
                    case BOOLEAN -> "the boolean " + reader.getBoolean();
                    case NULL -> "null";
                    case START_OBJECT -> "an object";
                    case START_ARRAY -> "an array";
                    default -> null;
                };
                return value == null ? where : where + " holds " + value;
            } catch (IOException | RuntimeException e) {
                return where;
            }
        }

        @Override
        public JsonToken currentToken() {
            return reader.currentToken();
        }

        @Override
        public JsonToken nextToken() throws IOException {
            JsonToken token = reader.nextToken();
            Object[] top = frames.peek();
            if (top != null && top[0] == Boolean.TRUE && token != JsonToken.END_ARRAY) {
                top[1] = (Integer) top[1] + 1; // the next element of an array
            }
            switch (token) {
                case START_OBJECT -> frames.push(new Object[] {Boolean.FALSE, null});
                case START_ARRAY -> frames.push(new Object[] {Boolean.TRUE, -1});
                case END_OBJECT, END_ARRAY -> frames.pop();
                case FIELD_NAME -> {
                    if (top != null) {
                        top[1] = reader.getFieldName();
                    }
                }
                default -> {
                }
            }
            return token;
        }

        @Override
        public void skipChildren() throws IOException {
            JsonToken token = reader.currentToken();
            reader.skipChildren();
            if (token == JsonToken.START_OBJECT || token == JsonToken.START_ARRAY) {
                frames.pop();
            }
        }

        @Override
        public JsonReader bufferObject() throws IOException {
            // The buffered copy is read from its start again, under the path of the object it copies.
            Deque<Object[]> copy = new ArrayDeque<>();
            for (Object[] frame : frames) {
                copy.addLast(frame.clone());
            }
            boolean started = reader.currentToken() == JsonToken.START_OBJECT;
            JsonReader buffered = reader.bufferObject();
            if (started) {
                frames.pop();
                copy.pop();
            }
            return new PathTrackingReader(buffered, copy);
        }

        @Override
        public void close() throws IOException {
            reader.close();
        }

        @Override
        public byte[] getBinary() throws IOException {
            return reader.getBinary();
        }

        @Override
        public boolean getBoolean() throws IOException {
            return reader.getBoolean();
        }

        @Override
        public float getFloat() throws IOException {
            return reader.getFloat();
        }

        @Override
        public double getDouble() throws IOException {
            return reader.getDouble();
        }

        @Override
        public int getInt() throws IOException {
            return reader.getInt();
        }

        @Override
        public long getLong() throws IOException {
            return reader.getLong();
        }

        @Override
        public String getString() throws IOException {
            return reader.getString();
        }

        @Override
        public String getFieldName() throws IOException {
            return reader.getFieldName();
        }

        @Override
        public boolean isResetSupported() {
            return false;
        }

        @Override
        public JsonReader reset() {
            throw new IllegalStateException("reset is not supported");
        }
    }
}
