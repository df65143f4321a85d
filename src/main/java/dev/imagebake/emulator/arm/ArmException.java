package dev.imagebake.emulator.arm;

/** An ARM error reply: status plus Azure's {@code code} and {@code message}, thrown by providers to answer. */
public final class ArmException extends Exception {
    private final int status;
    private final String code;

    public ArmException(int status, String code, String message) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public static ArmException notFound(String code, String message) {
        return new ArmException(404, code, message);
    }

    public static ArmException badRequest(String code, String message) {
        return new ArmException(400, code, message);
    }

    public static ArmException conflict(String code, String message) {
        return new ArmException(409, code, message);
    }
}
