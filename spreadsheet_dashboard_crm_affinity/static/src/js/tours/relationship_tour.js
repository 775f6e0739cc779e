import { registry } from "@web/core/registry";

/** In Turkish: a customer's Affinity and Communication tabs, then the relationship dashboard. */
registry.category("web_tour.tours").add("crm_affinity_turkish_tour", {
    steps: () => [
        {
            content: "Müşterinin Affinity sekmesini açın",
            trigger: ".o_notebook .nav-link[name='affinity']:contains(Affinity)",
            run: "click",
        },
        {
            content: "Dosyanın özeti Türkçe",
            trigger: ".o_affinity_summary [data-name=affinity_file_summary]:contains(sevmediği şey)",
        },
        {
            content: "İletişim sekmesini açın",
            trigger: ".o_notebook .nav-link[name='affinity_communication']:contains(İletişim)",
            run: "click",
        },
        {
            content: "İzinler bir bakışta, Türkçe",
            trigger: ".o_affinity_summary [data-name=affinity_consent_summary]:contains(Pazarlama):contains(Verildi)",
        },
        {
            content: "Kontrol panellerine gidin",
            trigger: ".o_main_navbar",
            run() {
                window.location.href = "/odoo/action-spreadsheet_dashboard.ir_actions_dashboard_action";
            },
        },
        {
            content: "İlişkiler panosunu seçin",
            trigger: ".o_search_panel li:contains(İlişkiler)",
            run: "click",
        },
        {
            content: "Pano açıldı",
            trigger: ".o_search_panel li.active:contains(İlişkiler), .o_search_panel .active:contains(İlişkiler)",
        },
        {
            content: "Tablo çizildi",
            trigger: ".o-spreadsheet canvas",
        },
    ],
});
