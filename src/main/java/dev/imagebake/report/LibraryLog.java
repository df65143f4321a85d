package dev.imagebake.report;

import org.slf4j.ILoggerFactory;
import org.slf4j.IMarkerFactory;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.BasicMarkerFactory;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;
import org.slf4j.helpers.NOPMDCAdapter;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

import java.time.Instant;
import java.util.function.Consumer;

/**
 * Where the libraries' own logging goes (the Azure SDK, sshj, Apache SSHD, all through SLF4J): into the
 * {@code --log-file} of the command that set a {@link #sink}, and nowhere else. The console carries imagebake's own
 * words only: the SDK logs every retry of a refused TLS handshake or secret at ERROR, which says nothing to a person
 * that imagebake's message does not say better. Warnings and errors are kept; sshj, which reports routine
 * disconnects as errors, is left out.
 */
public final class LibraryLog implements SLF4JServiceProvider {
    private static volatile Consumer<String> sink;

    private final ILoggerFactory loggers = LibraryLogger::new;
    private final IMarkerFactory markers = new BasicMarkerFactory();
    private final MDCAdapter mdc = new NOPMDCAdapter();

    /** Sends library log lines to {@code lines} until the returned handle is closed; without a sink they are dropped. */
    public static AutoCloseable sendTo(Consumer<String> lines) {
        sink = lines;
        return () -> {
            if (sink == lines) {
                sink = null;
            }
        };
    }

    @Override
    public ILoggerFactory getLoggerFactory() {
        return loggers;
    }

    @Override
    public IMarkerFactory getMarkerFactory() {
        return markers;
    }

    @Override
    public MDCAdapter getMDCAdapter() {
        return mdc;
    }

    @Override
    public String getRequestedApiVersion() {
        return "2.0.99";
    }

    @Override
    public void initialize() {
    }

    private static final class LibraryLogger extends LegacyAbstractLogger {
        private final boolean quiet;

        LibraryLogger(String name) {
            this.name = name;
            this.quiet = name.startsWith("net.schmizz") || name.startsWith("com.hierynomus");
        }

        private boolean on(Level level) {
            return !quiet && level.toInt() >= Level.WARN.toInt() && sink != null;
        }

        @Override
        public boolean isTraceEnabled() {
            return false;
        }

        @Override
        public boolean isDebugEnabled() {
            return false;
        }

        @Override
        public boolean isInfoEnabled() {
            return false;
        }

        @Override
        public boolean isWarnEnabled() {
            return on(Level.WARN);
        }

        @Override
        public boolean isErrorEnabled() {
            return on(Level.ERROR);
        }

        @Override
        protected String getFullyQualifiedCallerName() {
            return null;
        }

        @Override
        protected void handleNormalizedLoggingCall(Level level, Marker marker, String pattern, Object[] arguments,
                                                   Throwable failure) {
            Consumer<String> lines = sink;
            if (lines == null || !on(level)) {
                return;
            }
            String text = MessageFormatter.basicArrayFormat(pattern, arguments);
            lines.accept(Instant.now() + " [library] " + level + " " + name + ": " + text
                    + (failure == null ? "" : " (" + failure + ")"));
        }
    }
}
