"""Spanish fragments for the demo's comments (customers with an es-* locale answer the Spanish survey).

The same shape as `phrases` (banks by theme and tone, openings, closings, details), written for cxloop. Slots that
English code fills with English words ({late}, {wait}, {setup}, ...) are not used here; {agent} and {feature} are
names and stay as they are.
"""

from __future__ import annotations

import re

from cxloop.demo.phrases import lines_of

THEME_PATTERNS: dict[str, re.Pattern[str]] = {
    "billing": re.compile(r"factur|cobr|cargo|pago|tarjeta|reembolso|abono|domiciliaci", re.I),
    "onboarding": re.compile(r"configur|alta|import|puesta en marcha|empezar|inicio|onboarding|invitar", re.I),
    "delivery": re.compile(r"entrega|pedido lleg|paquete|mensajer|envío|caja|repartidor|lleg", re.I),
    "support_wait": re.compile(r"esper|respuesta|respond|contest|horas|días|llamada|rápid", re.I),
    "support_resolution": re.compile(r"transfer|resuel|resolv|solucion|reabr|explic|insistir|otra vez|sigue", re.I),
    "product_quality": re.compile(r"error|fallo|se cuelga|lent|estable|fiable|caíd|funciona|actualiz", re.I),
    "pricing": re.compile(r"precio|caro|coste|tarifa|dinero|descuento|barato|calidad-precio", re.I),
    "ease_of_use": re.compile(r"fácil|intuitiv|clic|sencill|manejar|encontrar|confus|lío", re.I),
    "agent_praise": re.compile(r"\{agent\}|gracias|amable|paciencia|atent|profesional|genial", re.I),
}

FRAGMENTS: dict[str, dict[str, tuple[str, ...]]] = {
    "billing": {
        "neg": lines_of("""
            Nos cobraron dos veces el mismo mes.
            Desde el cambio de sistema las facturas no cuadran con los pedidos.
            El pago con tarjeta falló sin motivo.
            El reembolso sigue sin llegar después de semanas.
            Nos reclaman facturas que ya están pagadas.
        """),
        "brief_neg": lines_of("""
            facturas mal
            cobro duplicado
        """),
        "pos": lines_of("""
            Las facturas son claras y correctas.
            Nunca hemos tenido problemas con los pagos.
            Nos devolvieron un cargo duplicado en un día.
        """),
        "brief_pos": lines_of("""
            facturación correcta
            pagos sin problemas
        """),
        "wish": lines_of("""
            Estaría bien poder descargar todas las facturas juntas.
        """),
    },
    "onboarding": {
        "neg": lines_of("""
            La configuración inicial nos llevó demasiado tiempo.
            La importación del catálogo falló varias veces.
            Al empezar no sabíamos por dónde tirar.
            Invitar a los compañeros fue un lío.
        """),
        "brief_neg": lines_of("""
            configuración complicada
            la importación no funcionó
        """),
        "pos": lines_of("""
            La puesta en marcha fue muy sencilla.
            En una hora teníamos todo configurado.
            La importación de datos funcionó a la primera.
        """),
        "brief_pos": lines_of("""
            alta muy rápida
            fácil de configurar
        """),
        "wish": lines_of("""
            Una guía de inicio en vídeo ayudaría.
        """),
    },
    "delivery": {
        "neg_late": lines_of("""
            La entrega llegó tarde otra vez.
            El paquete llegó días después de lo prometido.
        """),
        "neg_damaged": lines_of("""
            La caja llegó rota y faltaban cosas.
            El paquete llegó mojado y abierto.
        """),
        "neg": lines_of("""
            Siempre hay algún problema con el envío.
            El repartidor dejó el paquete en la calle.
        """),
        "brief_neg": lines_of("""
            entrega tarde
            paquete dañado
        """),
        "pos": lines_of("""
            La entrega llegó puntual, como siempre.
            Pedimos por la tarde y el paquete llegó a la mañana siguiente.
            Todo llegó bien embalado y completo.
        """),
        "brief_pos": lines_of("""
            entrega rápida
            llegó a tiempo
        """),
        "wish": lines_of("""
            Nos vendría bien elegir franja horaria de entrega.
        """),
    },
    "support_wait": {
        "neg": lines_of("""
            Esperamos demasiado una respuesta del soporte.
            Estuve horas esperando al teléfono.
            Dos días sin contestar a una incidencia urgente.
        """),
        "brief_neg": lines_of("""
            demasiada espera
            sin respuesta
        """),
        "pos": lines_of("""
            El soporte respondió en minutos.
            Respuesta rápida, así da gusto.
        """),
        "pos_improved": lines_of("""
            Ahora responden mucho más rápido que antes.
            Ya no hay que esperar horas, se nota la mejora.
        """),
        "brief_pos": lines_of("""
            respuesta rápida
            casi sin espera
        """),
        "wish": lines_of("""
            Preferiría una llamada de vuelta a esperar al teléfono.
        """),
    },
    "support_resolution": {
        "neg_transfer": lines_of("""
            Me transfirieron tres veces y tuve que explicarlo todo de nuevo.
            Me pasaron de un departamento a otro y nadie lo solucionó.
        """),
        "neg_reopen": lines_of("""
            Dijeron que estaba resuelto, pero tuvimos que reabrir la incidencia.
            El mismo problema volvió a aparecer otra vez.
        """),
        "neg": lines_of("""
            El problema sigue sin resolver.
            Tuve que insistir muchas veces.
        """),
        "brief_neg": lines_of("""
            sin resolver
            sigue igual
        """),
        "pos": lines_of("""
            Lo resolvieron en la primera llamada.
            Me lo explicaron todo y quedó solucionado.
        """),
        "brief_pos": lines_of("""
            resuelto rápido
            problema solucionado
        """),
        "wish": lines_of("""
            Ojalá lo solucionaran sin transferir la llamada.
        """),
    },
    "product_quality": {
        "neg_outage": lines_of("""
            La plataforma estuvo caída varios días y no pudimos pedir nada.
            Con la caída de la semana pasada se nos quedó la oficina sin material.
        """),
        "neg": lines_of("""
            La aplicación se cuelga al exportar.
            Desde la última actualización va muy lenta.
            {feature} da errores constantemente.
        """),
        "brief_neg": lines_of("""
            muchos fallos
            la app se cuelga
        """),
        "pos": lines_of("""
            El programa es estable y fiable.
            {feature} nos funciona de maravilla.
        """),
        "brief_pos": lines_of("""
            funciona muy bien
            muy fiable
        """),
        "wish": lines_of("""
            Nos gustaría que {feature} funcionara con nuestro ERP.
        """),
    },
    "pricing": {
        "neg": lines_of("""
            Para una empresa pequeña es demasiado caro.
            Han subido el precio y el servicio sigue igual.
        """),
        "brief_neg": lines_of("""
            muy caro
            precio alto
        """),
        "pos": lines_of("""
            Buena relación calidad-precio.
            Ahorramos dinero respecto a nuestro proveedor anterior.
        """),
        "brief_pos": lines_of("""
            buen precio
            precio justo
        """),
        "wish": lines_of("""
            Un descuento por pago anual estaría bien.
        """),
    },
    "ease_of_use": {
        "neg": lines_of("""
            Es poco intuitivo, demasiados clics para un pedido.
            Nunca consigo encontrar el historial de pedidos.
        """),
        "brief_neg": lines_of("""
            confuso
            difícil de manejar
        """),
        "pos": lines_of("""
            Muy fácil de usar, incluso para los nuevos.
            Todo es sencillo e intuitivo.
            Repetir un pedido son dos clics.
        """),
        "brief_pos": lines_of("""
            muy fácil
            sencillo e intuitivo
        """),
        "wish": lines_of("""
            Buscar por referencia lo haría más fácil.
        """),
    },
    "agent_praise": {
        "pos": lines_of("""
            {agent} fue muy amable, muchas gracias.
            Gracias a {agent} por su paciencia.
            {agent} lo explicó todo de forma muy profesional.
        """),
        "brief_pos": lines_of("""
            ¡gracias {agent}!
            {agent}, genial
        """),
    },
}

OPENINGS: dict[str, tuple[str, ...]] = {
    "neg": lines_of("""
        Sinceramente,
        Qué decepción.
        No estoy contento.
        Muy mal.
    """),
    "mixed": lines_of("""
        En general bien.
        Regular.
        Más o menos.
    """),
    "pos": lines_of("""
        ¡Genial!
        Muy contentos.
        Estupendo.
        Encantados.
    """),
}

CLOSINGS: dict[str, tuple[str, ...]] = {
    "neg": lines_of("""
        Por favor, arreglenlo.
        Estamos mirando otras opciones.
        Así no.
    """),
    "mixed": lines_of("""
        Por lo demás, bien.
        A ver si mejora.
    """),
    "pos": lines_of("""
        ¡Seguid así!
        Lo recomiendo.
        ¡Gracias al equipo!
    """),
}

NOTHING_TO_SAY = lines_of("""
    nada
    -
    sin comentarios
    todo bien
    no
""")

MIXED_JOINERS = (", pero ", ". Eso sí, ", ". Solo una cosa: ")

# Context a writer adds about themselves; the numbers are filled per comment (demo/comments.py).
DETAILS = lines_of("""
    Pedimos para {sites} oficinas.
    Somos un equipo de {team} personas.
    Clientes desde hace {years} años.
    Ya es la {count}ª vez.
    Lo usan {team} personas en la empresa.
    Se trata del pedido {order}.
""")
