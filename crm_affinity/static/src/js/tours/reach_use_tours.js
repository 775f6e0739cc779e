import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

registry.category("web_tour.tours").add("crm_affinity_call_now_tour", {
    url: "/odoo",
    steps: () => [
        stepUtils.showAppsMenuItem(),
        {
            content: "Open CRM",
            trigger: '.o_app[data-menu-xmlid="crm.crm_menu_root"]',
            run: "click",
        },
        {
            content: "Open the Affinity menu",
            trigger: '.dropdown-toggle[data-menu-xmlid="crm_affinity.crm_affinity_menu"]',
            run: "click",
        },
        {
            content: "Open Call Now",
            trigger: '.dropdown-item[data-menu-xmlid="crm_affinity.affinity_call_now_menu"]',
            run: "click",
        },
        {
            content: "The customer who answers at this hour comes first, with her chance as a bar",
            trigger:
                ".o_list_view .o_data_row:first-child:has(.o_data_cell:contains(Tour Evening Caller)) .o_progressbar",
        },
        {
            content: "The reason is there to read",
            trigger: ".o_list_view .o_data_row:first-child .o_data_cell:contains(calls at this hour)",
        },
        {
            content: "The one who must not be called is not listed",
            trigger: ".o_list_view:not(:has(.o_data_cell:contains(Tour Do Not Call)))",
        },
    ],
});

registry.category("web_tour.tours").add("crm_affinity_best_hour_mailing_tour", {
    steps: () => [
        {
            content: "Write a subject",
            trigger: "div[name='subject'] input",
            run: "edit Tour best hour",
        },
        {
            content: "Send at each person's best hour",
            trigger: "div[name='affinity_best_hour'] input[type='checkbox']",
            run: "click",
        },
        {
            content: "Within the next 12 hours",
            trigger: "div[name='affinity_best_hour_within'] input",
            run: "edit 12",
        },
        {
            content: "Save",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "Saved",
            trigger: ".o_form_saved",
        },
    ],
});

registry.category("web_tour.tours").add("crm_affinity_reach_strip_tour", {
    steps: () => [
        {
            content: "Open the Communication tab",
            trigger: ".o_notebook_headers a:contains(Communication)",
            run: "click",
        },
        {
            content: "The sentence says when and how she is best reached",
            trigger:
                ".o_affinity_summary[data-tab='communication'] [data-name='affinity_reach_summary'] .o_affinity_summary_value:contains(Best reached Tue)",
        },
        {
            content: "The strip of her permitted channel, hour by hour over the week",
            trigger:
                ".o_affinity_summary[data-tab='communication'] [data-name='affinity_reach_strip'] table.o_affinity_reach_strip_compact th:contains(SMS · Mon)",
        },
        {
            content: "Hours outside her contact windows are greyed",
            trigger:
                ".o_affinity_summary[data-tab='communication'] [data-name='affinity_reach_strip'] td[style*='repeating-linear-gradient']",
        },
    ],
});
