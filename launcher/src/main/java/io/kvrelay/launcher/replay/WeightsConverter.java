package io.kvrelay.launcher.replay;

import io.kvrelay.router.scoring.CostWeights;
import picocli.CommandLine.ITypeConverter;

/**
 * picocli: {@code --weights NAME:key=value,...}, a named variant of the router's cost weights for the
 * counterfactual; keys not given keep {@link CostWeights#defaults()}. CostWeights validates the result.
 */
final class WeightsConverter implements ITypeConverter<WeightsConverter.Named> {

    /** A weighting and the name its row gets in the report. */
    record Named(String name, CostWeights weights) {
    }

    @Override
    public Named convert(String value) {
        return parse(value);
    }

    static Named parse(String value) {
        int colon = value.indexOf(':');
        if (colon <= 0 || colon == value.length() - 1) {
            throw new IllegalArgumentException("expected NAME:key=value,..., got '" + value + "'");
        }
        String name = value.substring(0, colon).strip();
        CostWeights d = CostWeights.defaults();
        double cpu = d.cpuBlockCost();
        double storage = d.storageBlockCost();
        double running = d.runningWeight();
        double waiting = d.waitingWeight();
        double kv = d.kvUsageWeight();
        int maxInFlight = d.maxInFlight();
        double maxKv = d.maxKvUsage();
        for (String pair : value.substring(colon + 1).split(",")) {
            String[] kvp = pair.split("=", 2);
            if (kvp.length != 2) {
                throw new IllegalArgumentException("expected key=value, got '" + pair + "'");
            }
            String v = kvp[1].strip();
            try {
                switch (kvp[0].strip()) {
                    case "cpuBlockCost" -> cpu = Double.parseDouble(v);
                    case "storageBlockCost" -> storage = Double.parseDouble(v);
                    case "runningWeight" -> running = Double.parseDouble(v);
                    case "waitingWeight" -> waiting = Double.parseDouble(v);
                    case "kvUsageWeight" -> kv = Double.parseDouble(v);
                    case "maxInFlight" -> maxInFlight = Integer.parseInt(v);
                    case "maxKvUsage" -> maxKv = Double.parseDouble(v);
                    default -> throw new IllegalArgumentException("unknown weight '" + kvp[0].strip()
                            + "' (cpuBlockCost, storageBlockCost, runningWeight, waitingWeight, kvUsageWeight, maxInFlight, maxKvUsage)");
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a number: '" + v + "' for " + kvp[0].strip());
            }
        }
        return new Named(name, new CostWeights(cpu, storage, running, waiting, kv, maxInFlight, maxKv));
    }
}
