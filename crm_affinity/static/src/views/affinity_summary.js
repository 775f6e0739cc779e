import { Component, markup, onWillStart, onWillUpdateProps, useState } from "@odoo/owl";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { standardWidgetProps } from "@web/views/widgets/standard_widget_props";

/**
 * The summary of one tab of the partner form (the file, or communication), read when the tab is opened:
 * the partner form is the most opened screen in Odoo and most people never open these tabs.
 */
export class AffinitySummary extends Component {
    static template = "crm_affinity.AffinitySummary";
    static props = { ...standardWidgetProps, tab: { type: String } };

    setup() {
        this.orm = useService("orm");
        this.state = useState({ lines: [], loaded: false });
        onWillStart(() => this.load(this.props.record.resId));
        onWillUpdateProps((next) => {
            if (next.record.resId !== this.props.record.resId) {
                return this.load(next.record.resId);
            }
        });
    }

    async load(resId) {
        const lines = resId
            ? await this.orm.call("res.partner", "affinity_summary_lines", [[resId], this.props.tab])
            : [];
        // A line the server built as HTML (the reachability strip, its every value escaped there).
        this.state.lines = lines.map((line) => (line.html ? { ...line, value: markup(line.value) } : line));
        this.state.loaded = true;
    }
}

registry.category("view_widgets").add("affinity_summary", {
    component: AffinitySummary,
    extractProps: ({ attrs }) => ({ tab: attrs.tab }),
});
