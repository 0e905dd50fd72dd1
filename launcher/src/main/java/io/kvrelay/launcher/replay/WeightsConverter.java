package io.kvrelay.launcher.replay;

import io.kvrelay.router.scoring.CostModel;
import picocli.CommandLine.ITypeConverter;

/**
 * picocli: {@code --weights NAME:key=value,...}, a named variant of the router's cost model for the counterfactual;
 * constants not given keep {@link CostModel#defaults()}, and CostModel validates the result.
 */
final class WeightsConverter implements ITypeConverter<WeightsConverter.Named> {

    /** A cost model and the name its row gets in the report. */
    record Named(String name, CostModel model) {
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
        CostModel m = CostModel.defaults();
        for (String pair : value.substring(colon + 1).split(",")) {
            String[] kvp = pair.split("=", 2);
            if (kvp.length != 2) {
                throw new IllegalArgumentException("expected key=value, got '" + pair + "'");
            }
            m = m.with(kvp[0], kvp[1]);
        }
        return new Named(name, m);
    }
}
