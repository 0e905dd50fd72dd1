package io.kvrelay.launcher.bench;

import io.kvrelay.policies.KvrelayCostPolicy;
import io.kvrelay.policies.RoutingPolicy;
import io.kvrelay.router.scoring.CostModel;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code --sweep KEY=V1,V2,...}: kvrelay's cost model in-process once per value of one constant, the others as
 * configured, each named {@code kvrelay-exact[KEY=V]}: how sensitive the routing is to that constant.
 */
final class SweepPolicies {
    private SweepPolicies() {
    }

    /** @throws IllegalArgumentException for a malformed sweep, an unknown constant or a value out of its range */
    static List<RoutingPolicy> of(CostModel base, List<String> sweeps) {
        List<RoutingPolicy> out = new ArrayList<>();
        for (String sweep : sweeps) {
            String[] kv = sweep.split("=", 2);
            if (kv.length != 2 || kv[0].isBlank() || kv[1].isBlank()) {
                throw new IllegalArgumentException("--sweep: expected KEY=V1,V2,..., got '" + sweep + "'");
            }
            for (String v : kv[1].split(",")) {
                String key = kv[0].strip();
                out.add(new KvrelayCostPolicy("kvrelay-exact[" + key + "=" + v.strip() + "]", base.with(key, v)));
            }
        }
        return out;
    }
}
