import { registry } from "@web/core/registry";

/** A Turkish admin's partner form: uppercase section titles follow Turkish casing (i → İ, ı → I). */
registry.category("web_tour.tours").add("crm_affinity_turkish_capitals_tour", {
    steps: () => [
        {
            content: "The page says it is in Turkish",
            trigger: "html[lang=tr-TR] .o_form_view",
        },
        {
            content: "Open the Affinity tab",
            trigger: ".o_notebook .nav-link[name=affinity]",
            run: "click",
        },
        {
            content: "Section titles read in Turkish capitals, as the browser shows them",
            trigger: ".o_notebook .tab-pane.active .o_horizontal_separator",
            run() {
                // innerText is the text as shown, CSS text-transform applied; textContent is the source.
                const shown = [...document.querySelectorAll(".o_notebook .tab-pane.active .o_horizontal_separator")]
                    .map((title) => title.innerText.trim());
                for (const expected of ["NASIL HİTAP EDİLMELİ", "İLİŞKİ"]) {
                    if (!shown.includes(expected)) {
                        throw new Error(`No section title reads "${expected}": ${shown.join(", ")}`);
                    }
                }
            },
        },
    ],
});
