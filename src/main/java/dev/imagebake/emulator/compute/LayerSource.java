package dev.imagebake.emulator.compute;

import dev.imagebake.emulator.arm.ArmException;

import java.util.List;
import java.util.Map;

/** The content (image layers, topmost first) of a VM, managed image or gallery image version document. */
@FunctionalInterface
public interface LayerSource {
    List<String> of(Map<String, Object> source) throws ArmException;
}
