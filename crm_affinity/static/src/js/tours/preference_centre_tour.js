import { registry } from "@web/core/registry";

/** A person on their own preference page, in Turkish, withdraws SMS marketing. */
registry.category("web_tour.tours").add("crm_affinity_preference_centre_tour", {
    steps: () => [
        {
            content: "The page speaks Turkish",
            trigger: "h1:contains(İletişim tercihleriniz)",
        },
        {
            content: "SMS marketing is on: switch it off",
            trigger: ".o_affinity_preferences_form label:contains(SMS — Pazarlama)",
            run: function () {
                const input = document.getElementById(this.anchor.getAttribute("for"));
                if (!input.checked) {
                    throw new Error("SMS marketing should start switched on");
                }
                input.click();
            },
        },
        {
            content: "Save",
            trigger: "button.o_affinity_save:contains(Seçimlerimi kaydet)",
            run: "click",
        },
        {
            content: "Saved, in Turkish",
            trigger: ".o_affinity_saved:contains(Seçimleriniz kaydedildi)",
        },
    ],
});

/** In the back office, the partner's communication page shows the decision that flipped. */
registry.category("web_tour.tours").add("crm_affinity_decision_matrix_tour", {
    steps: () => [
        {
            content: "Open the Communication tab",
            trigger: ".o_notebook .nav-link:contains(İletişim)",
            run: "click",
        },
        {
            content: "The tab reads the consents when it opens: SMS marketing is denied",
            trigger: ".o_affinity_summary[data-tab=communication] [data-name=affinity_consent_summary]:contains(SMS)",
        },
        {
            content: "Open the full communication page",
            trigger: "button[name=action_affinity_open_communication]",
            run: "click",
        },
        {
            content: "SMS marketing: no, because consent was denied",
            trigger: ".o_affinity_matrix tr:contains(SMS) td.text-danger:contains(izin reddedildi)",
        },
        {
            content: "The history says the person did it from the preference centre",
            trigger: ".o_field_one2many[name=affinity_consent_log_ids] .o_data_cell:contains(Tercih merkezi)",
        },
    ],
});

/** An administrator connects the company to IYS from the configuration menu. */
registry.category("web_tour.tours").add("crm_affinity_iys_account_tour", {
    steps: () => [
        {
            content: "New IYS account",
            trigger: ".o_list_button_add",
            run: "click",
        },
        {
            content: "The base URL comes filled in",
            trigger: ".o_field_widget[name=base_url] input:value(http)",
        },
        {
            content: "IYS code",
            trigger: ".o_field_widget[name=iys_code] input",
            run: "edit 123456",
        },
        {
            content: "Brand code",
            trigger: ".o_field_widget[name=brand_code] input",
            run: "edit 654321",
        },
        {
            content: "User name",
            trigger: ".o_field_widget[name=username] input",
            run: "edit iys-user",
        },
        {
            content: "Password",
            trigger: ".o_field_widget[name=password] input",
            run: "edit iys-secret",
        },
        {
            content: "Test the connection (the form is saved first)",
            trigger: "button[name=action_test_connection]",
            run: "click",
        },
        {
            content: "IYS answered",
            trigger: ".o_notification:contains(Connected to IYS as brand 654321)",
        },
        {
            content: "Saved, the account is not switched on yet: switch it on",
            trigger: "button[name=action_switch_on]",
            run: "click",
        },
        {
            content: "What changes, counted before anything does: one SMS grant needs an ONAY",
            trigger: ".modal .o_field_widget[name=line_ids] .o_data_row:contains(MESAJ) .o_data_cell[name=grants]:contains(1)",
        },
        {
            content: "Ask IYS how many it already holds",
            trigger: ".modal button[name=action_ask]",
            run: "click",
        },
        {
            content: "IYS holds none: one to register",
            trigger: ".modal .o_data_row:contains(MESAJ) .o_data_cell[name=to_register]:contains(1)",
        },
        {
            content: "Switch on: the first reconciliation runs in the same step",
            trigger: ".modal-footer button[name=action_confirm].btn-primary",
            run: "click",
        },
        {
            content: "The form says what happened",
            trigger: ".o_notification:contains(IYS switched on)",
        },
        {
            content: "Switched on",
            trigger: ".o_form_view .o_field_widget[name=switched_on_at]",
        },
    ],
});
