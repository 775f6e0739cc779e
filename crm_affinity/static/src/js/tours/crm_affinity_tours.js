import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

/** From the home screen to the open Affinity menu of the CRM app. */
function openAffinityMenu() {
    return [
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
    ];
}

registry.category("web_tour.tours").add("crm_affinity_menu_tour", {
    url: "/odoo",
    steps: () => [
        ...openAffinityMenu(),
        {
            content: "Open important dates",
            trigger: '.dropdown-item[data-menu-xmlid="crm_affinity.affinity_date_menu"]',
            run: "click",
        },
        {
            content: "The calendar of important dates is shown",
            trigger: ".o_calendar_view",
        },
        {
            content: "Open the Affinity menu again",
            trigger: '.dropdown-toggle[data-menu-xmlid="crm_affinity.crm_affinity_menu"]',
            run: "click",
        },
        {
            content: "Open channels configuration",
            trigger: '.dropdown-item[data-menu-xmlid="crm_affinity.affinity_channel_menu"]',
            run: "click",
        },
        {
            content: "Shipped channels are listed",
            trigger: ".o_list_view .o_data_cell:contains(WhatsApp)",
        },
    ],
});

registry.category("web_tour.tours").add("crm_affinity_profile_tour", {
    steps: () => [
        {
            content: "Open the Affinity tab",
            trigger: ".o_notebook .nav-link[name='affinity']",
            run: "click",
        },
        {
            content: "The tab reads what the file holds when it opens",
            trigger: ".o_affinity_summary[data-tab=file] [data-name=affinity_file_summary]",
        },
        {
            content: "Write how she likes to be addressed",
            trigger: "div[name='affinity_salutation'] input",
            run: "edit Ayşe Hanım",
        },
        {
            content: "Set a cadence",
            trigger: "div[name='affinity_cadence_days'] input",
            run: "edit 30",
        },
        {
            content: "Open the whole information file",
            trigger: "button[name='action_affinity_open_file']",
            run: "click",
        },
        {
            content: "Add a like",
            trigger: "div[name='affinity_preference_ids'] .o_field_x2many_list_row_add a",
            run: "click",
        },
        {
            content: "Pick the category",
            trigger: "div[name='affinity_preference_ids'] .o_data_row div[name='category_id'] input",
            run: "edit Flowers",
        },
        {
            content: "Choose Flowers",
            trigger: ".o-autocomplete--dropdown-item a:contains(Flowers)",
            run: "click",
        },
        {
            content: "Say what she likes",
            trigger: "div[name='affinity_preference_ids'] .o_data_row div[name='name'] input",
            run: "edit Daisies, never roses",
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

registry.category("web_tour.tours").add("crm_affinity_caution_tour", {
    steps: () => [
        {
            content: "The partner form warns about channel cautions",
            trigger: ".alert-warning:contains(brother reads her SMS)",
        },
        {
            content: "Plan an activity for this partner",
            trigger: "button.o-mail-Chatter-activity",
            run: "click",
        },
        {
            content: "The activity dialog warns about the caution too",
            trigger: ".modal .o_affinity_caution:contains(brother reads her SMS)",
        },
        {
            content: "Close the dialog",
            trigger: ".modal .btn-close",
            run: "click",
        },
        {
            content: "Back on the form",
            trigger: ".o_form_view:not(:has(.modal))",
        },
    ],
});

registry.category("web_tour.tours").add("crm_affinity_followup_tour", {
    url: "/odoo/action-crm_affinity.affinity_followup_rule_action",
    steps: () => [
        {
            content: "Create a follow-up rule",
            trigger: ".o_list_button_add",
            run: "click",
        },
        {
            content: "Name it",
            trigger: "div[name='name'] input",
            run: "edit Call lapsed VIPs",
        },
        {
            content: "When the contact cadence is overdue",
            trigger: "div[name='trigger'] select",
            run: 'select "cadence"',
        },
        {
            content: "Schedule an activity",
            trigger: "div[name='action'] select",
            run: 'select "activity"',
        },
        {
            content: "Save the rule",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "Saved",
            trigger: ".o_form_saved",
        },
        {
            content: "Open the Affinity menu",
            trigger: '.dropdown-toggle[data-menu-xmlid="crm_affinity.crm_affinity_menu"]',
            run: "click",
        },
        {
            content: "Open today's follow-ups",
            trigger: '.dropdown-item[data-menu-xmlid="crm_affinity.affinity_followup_menu"]',
            run: "click",
        },
        {
            content: "Open the follow-up of the tour customer",
            trigger: ".o_data_row .o_data_cell:contains(Tour Mehmet)",
            run: "click",
        },
        {
            content: "It went well",
            trigger: ".o_form_view .o_statusbar_buttons button[name='action_mark_done']",
            run: "click",
        },
        {
            content: "The follow-up is done",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains(Done)",
        },
    ],
});

registry.category("web_tour.tours").add("crm_affinity_scoring_tour", {
    url: "/odoo",
    steps: () => [
        ...openAffinityMenu(),
        {
            content: "Open campaign scoring",
            trigger: '.dropdown-item[data-menu-xmlid="crm_affinity.affinity_campaign_score_menu"]',
            run: "click",
        },
        {
            content: "Score by source",
            trigger: ".modal button[name='action_compute']",
            run: "click",
        },
        {
            content: "The ranked list shows the tour source",
            trigger: ".o_list_view .o_data_cell:contains(Tour Billboard)",
        },
        {
            content: "Switch to the graph",
            trigger: ".o_switch_view.o_graph",
            run: "click",
        },
        {
            content: "The bar graph is drawn",
            trigger: ".o_graph_renderer canvas",
        },
    ],
});

registry.category("web_tour.tours").add("crm_affinity_value_review_tour", {
    url: "/odoo",
    steps: () => [
        ...openAffinityMenu(),
        {
            content: "Open the relationships to review",
            trigger: '.dropdown-item[data-menu-xmlid="crm_affinity.affinity_review_flag_menu"]',
            run: "click",
        },
        {
            content: "The late payer is listed with the evidence",
            trigger: ".o_list_view .o_data_row:contains(Tour Late Payer) .o_data_cell:contains(paid late)",
        },
        {
            content: "Open the flag",
            trigger: ".o_data_row .o_data_cell[name='partner_id']:contains(Tour Late Payer)",
            run: "click",
        },
        {
            content: "Offboard gracefully",
            trigger: ".o_form_view .o_statusbar_buttons button[name='action_offboard']",
            run: "click",
        },
        {
            content: "Move the customer to a price review",
            trigger: ".modal div[name='strategy'] input[data-value='price_review']",
            run: "click",
        },
        {
            content: "The closing message is drafted",
            trigger: ".modal div[name='preview']:contains(Tour Late Payer)",
        },
        {
            content: "Say why",
            trigger: ".modal div[name='reason'] textarea",
            run: "edit Pays most invoices late; new prices instead of reminders.",
        },
        {
            content: "Confirm",
            trigger: ".modal footer button[name='action_confirm']",
            run: "click",
        },
        {
            content: "The flag is decided",
            trigger: ".o_form_view:not(:has(.modal)) .o_statusbar_status button.o_arrow_button_current:contains(Offboarded)",
        },
    ],
});

registry.category("web_tour.tours").add("crm_affinity_skipped_followup_tour", {
    url: "/odoo/action-crm_affinity.affinity_followup_action",
    steps: () => [
        {
            content: "Leave today's own follow-ups",
            trigger: ".o_searchview_facet:contains(My follow-ups today) .o_facet_remove",
            run: "click",
        },
        {
            content: "Open the filters",
            trigger: ".o_searchview_dropdown_toggler",
            run: "click",
        },
        {
            content: "Show the skipped follow-ups",
            trigger: ".o_filter_menu .dropdown-item:contains(Skipped)",
            run: "click",
        },
        {
            content: "The skipped win-back says why, in words, for every channel it tried",
            trigger:
                ".o_data_row:contains(Tour Lapsing) td[name='reason_label']:contains(E-mail: not asked — opt-in mode):contains(Phone call: not asked — opt-in mode)",
        },
        {
            content: "No reason code is shown to people",
            trigger: ".o_list_view:not(:has(td:contains(not_asked_optin_mode)))",
        },
    ],
});
