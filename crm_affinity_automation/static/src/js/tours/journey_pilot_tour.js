import {registry} from "@web/core/registry";

/** Click the autocomplete item that reads exactly ``text`` (others may only contain it). */
function pickExactly(text) {
    return {
        content: `Pick "${text}"`,
        trigger: `.o-autocomplete--dropdown-item a:contains(${text})`,
        run() {
            const item = [...document.querySelectorAll(".o-autocomplete--dropdown-item a")].find(
                (link) => link.innerText.trim() === text
            );
            if (!item) {
                throw new Error(`No item reads "${text}"`);
            }
            item.click();
        },
    };
}

/** Fill one step of the journey in its dialog, then save and close it. */
function stepDialog(name, interval) {
    return [
        {
            content: `Name the step: ${name}`,
            trigger: ".modal .o_field_widget[name=name] input",
            run: `edit ${name}`,
        },
        {
            content: "Wait this long before the step",
            trigger: ".modal .o_field_widget[name=trigger_interval] input",
            run: `edit ${interval}`,
        },
        {
            content: "Pick the e-mail to send",
            trigger: ".modal .o_field_widget[name=mail_template_id] input",
            run: "edit Tur hoş geldin",
        },
        pickExactly("Tur hoş geldin"),
        {
            content: "The step asks the consent decision for marketing",
            trigger: ".modal .o_field_widget[name=affinity_purpose_id] input:value(Pazarlama)",
        },
        {
            content: "Save and close the step",
            trigger: ".modal .o_form_button_save",
            run: "click",
        },
        {
            trigger: `body:not(:has(.modal)) .o_automation_kanban_box:contains('${name}')`,
        },
    ];
}

/** A marketer builds a three-step journey in Turkish, pilots it on 10 % with a control group, reads the
comparison and rolls it out. */
registry.category("web_tour.tours").add("crm_affinity_automation_pilot_tour", {
    steps: () => [
        {
            content: "The page speaks Turkish",
            trigger: "html[lang=tr-TR] .o_form_view",
        },
        {
            trigger: ".o_field_widget[name=name] input",
            run: "edit Tur pilot yolculuğu",
        },
        {
            content: "The journey runs on contacts",
            trigger: ".o_field_widget[name=model_id] input",
            run: "edit Kontak",
        },
        pickExactly("Kontak"),
        {
            trigger: ".o_field_widget[name=model_id] input:value(Kontak)",
        },
        {
            content: "Only the tour's customers",
            trigger: ".o_field_widget[name=filter_id] input",
            run: "edit Tur müşterileri",
        },
        pickExactly("Tur müşterileri"),
        {
            content: "Start it as a pilot",
            trigger: ".o_field_widget[name=affinity_pilot] input",
            run: "click",
        },
        {
            content: "10 % pilot, 10 % control",
            trigger: ".o_field_widget[name=affinity_pilot_share] input:value(10)",
        },
        {
            trigger: ".o_field_widget[name=affinity_control_share] input:value(10)",
        },
        {
            content: "Add the first step",
            trigger: "div[name=automation_step_ids] .o_x2m_control_panel button",
            run: "click",
        },
        ...stepDialog("Tur adım bir", "-1"),
        {
            content: "Add a step after the first",
            // Its buttons show on hovering the card's footer, which a script cannot do: CSS alone hides them.
            trigger:
                ".o_automation_kanban_box:contains('Tur adım bir') .o_automation_kanban_child_add_button[trigger-type=after_step]:not(:visible)",
            run: "click",
        },
        ...stepDialog("Tur adım iki", "2"),
        {
            content: "Add a step after the second",
            // Its buttons show on hovering the card's footer, which a script cannot do: CSS alone hides them.
            trigger:
                ".o_automation_kanban_box:contains('Tur adım iki') .o_automation_kanban_child_add_button[trigger-type=after_step]:not(:visible)",
            run: "click",
        },
        ...stepDialog("Tur adım üç", "4"),
        {
            content: "Start the journey (each step saved the journey with it)",
            trigger: ".o_form_view button[name=start_automation]",
            run: "click",
        },
        {
            content: "Let the pilot's records in",
            trigger: "button[name=run_automation]:not(.btn-info)",
            run: "click",
        },
        {
            content: "Pilot and control side by side: the pilot was reached, the control was not",
            trigger: ".o_affinity_journey_kpis td[data-kpi=entered][data-group=pilot]:not([data-value='0'])",
            run() {
                const table = document.querySelector(".o_affinity_journey_kpis");
                const heads = [...table.querySelectorAll("thead th")].map((th) => th.innerText.trim());
                for (const expected of ["Pilot grup", "Kontrol"]) {
                    if (!heads.includes(expected)) {
                        throw new Error(`No column "${expected}": ${heads.join(", ")}`);
                    }
                }
                const rows = [...table.querySelectorAll("tbody th")].map((th) => th.innerText.trim());
                for (const expected of ["Katılan", "Ulaşıldı", "Açtı", "Yanıtladı", "Satın aldı", "Kişi başına gelir", "Aboneliği bıraktı"]) {
                    if (!rows.includes(expected)) {
                        throw new Error(`No row "${expected}": ${rows.join(", ")}`);
                    }
                }
                const value = (kpi, group) =>
                    table.querySelector(`td[data-kpi=${kpi}][data-group=${group}]`).dataset.value;
                if (value("reached", "pilot") === "0" || value("reached", "control") !== "0") {
                    throw new Error("The pilot must be reached, the control group not");
                }
            },
        },
        {
            content: "Roll it out to everyone",
            trigger: "button[name=action_affinity_rollout]",
            run: "click",
        },
        {
            trigger: ".modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "Everyone else entered",
            trigger: ".o_field_widget[name=affinity_rolled_out] input:checked",
        },
        {
            trigger: ".o_affinity_journey_kpis thead th:contains('Yaygınlaştırma')",
        },
    ],
});
